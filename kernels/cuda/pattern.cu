// Oracle pattern fill and verify on the GPU: the same pattern_bits() as the host twins.
#include <algorithm>

#include "check.cuh"
#include "cuda_kernels.cuh"

namespace bb {
namespace {

constexpr int kThreads = 256;

// Grid-stride kernels: enough blocks to fill the GPU, any element count.
unsigned grid_for(int64_t n) {
  int dev = 0, sms = 0;  // per call: GPUs of one process may differ
  BB_CUDA(cudaGetDevice(&dev));
  BB_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  return unsigned(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t(sms) * 16)));
}

__device__ __forceinline__ uint32_t load_bits(const void* t, int64_t i, int dtype) {
  return dtype == 2 ? static_cast<const uint32_t*>(t)[i] : static_cast<const uint16_t*>(t)[i];
}

__global__ void fill_kernel(void* t, PatternGeom g, const int64_t* table) {
  const int64_t n = pattern_elems(g);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const uint32_t bits = pattern_bits(g, table, i);
    if (g.dtype == 2)
      static_cast<uint32_t*>(t)[i] = bits;
    else
      static_cast<uint16_t*>(t)[i] = uint16_t(bits);
  }
}

__global__ void verify_init_kernel(CudaVerifyRecord* r) {
  r->mismatches = 0;
  r->first_index = ~0ull;
  r->expected_bits = r->actual_bits = 0;
}

__global__ void verify_kernel(const void* t, PatternGeom g, const int64_t* table, CudaVerifyRecord* r) {
  const int64_t n = pattern_elems(g);
  unsigned long long count = 0, first = ~0ull;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if (pattern_bits(g, table, i) != load_bits(t, i, g.dtype)) {
      if (count == 0) first = (unsigned long long)i;  // a thread's indices only grow
      ++count;
    }
  }
  // One atomic pair per warp instead of per mismatch.
  for (int off = 16; off > 0; off >>= 1) {
    count += __shfl_down_sync(0xffffffffu, count, off);
    first = min(first, __shfl_down_sync(0xffffffffu, first, off));
  }
  if ((threadIdx.x & 31) == 0 && count) {
    atomicAdd(&r->mismatches, count);
    atomicMin(&r->first_index, first);
  }
}

__global__ void verify_finish_kernel(const void* t, PatternGeom g, const int64_t* table, CudaVerifyRecord* r) {
  if (r->mismatches == 0) return;
  r->expected_bits = pattern_bits(g, table, int64_t(r->first_index));
  r->actual_bits = load_bits(t, int64_t(r->first_index), g.dtype);
}

}  // namespace

void cuda_fill_pattern(void* t, const PatternGeom& g, const int64_t* dev_table, cudaStream_t stream) {
  const int64_t n = pattern_elems(g);
  if (n <= 0) return;
  fill_kernel<<<grid_for(n), kThreads, 0, stream>>>(t, g, dev_table);
  BB_CUDA_LAUNCHED("fill_kernel");
}

void cuda_verify_pattern(const void* t, const PatternGeom& g, const int64_t* dev_table,
                         CudaVerifyRecord* rec, cudaStream_t stream) {
  verify_init_kernel<<<1, 1, 0, stream>>>(rec);
  BB_CUDA_LAUNCHED("verify_init_kernel");
  const int64_t n = pattern_elems(g);
  if (n <= 0) return;
  verify_kernel<<<grid_for(n), kThreads, 0, stream>>>(t, g, dev_table, rec);
  BB_CUDA_LAUNCHED("verify_kernel");
  verify_finish_kernel<<<1, 1, 0, stream>>>(t, g, dev_table, rec);
  BB_CUDA_LAUNCHED("verify_finish_kernel");
}

VerifyResult to_verify_result(const CudaVerifyRecord& r) {
  VerifyResult v;
  v.mismatches = int64_t(r.mismatches);
  if (r.mismatches) {
    v.first_index = int64_t(r.first_index);
    v.expected_bits = r.expected_bits;
    v.actual_bits = r.actual_bits;
  }
  return v;
}

}  // namespace bb
