#pragma once
// Lets one function body serve the CUDA kernels and their host twins.
#ifdef __CUDACC__
#define BB_HD __host__ __device__ __forceinline__
#else
#define BB_HD inline
#endif
