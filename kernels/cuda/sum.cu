// Elementwise sum of n tensors (the emulated all_reduce). Accumulates in float in source order and
// rounds like host_sum, so results are bit-identical to the host twin.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "check.cuh"
#include "cuda_kernels.cuh"
#include "core/float_bits.hpp"

namespace bb {
namespace {

constexpr int kThreads = 256;

struct SumArgs {
  void* dst;
  const void* src[kSumMaxSrcs];
  int n;
  int64_t count;
};

template <int DT>
__device__ __forceinline__ float to_float(uint32_t b) { return dtype_bits_to_float(b, DT); }

template <int DT>
__device__ __forceinline__ uint32_t from_float(float f) { return float_to_dtype_bits(f, DT); }

// Each thread owns whole 16-byte vectors when every pointer allows (VEC), else single elements;
// owning an element outright is what makes dst aliasing a source safe.
template <int DT, bool VEC>
__global__ void __launch_bounds__(kThreads) sum_kernel(const __grid_constant__ SumArgs a) {
  using E = typename std::conditional<DT == 2, uint32_t, uint16_t>::type;
  constexpr int kPer = VEC ? int(16 / sizeof(E)) : 1;
  using V = typename std::conditional<VEC, uint4, E>::type;
  const int64_t nv = a.count / kPer;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < nv; i += int64_t(gridDim.x) * blockDim.x) {
    float acc[kPer];
#pragma unroll
    for (int e = 0; e < kPer; ++e) acc[e] = 0.f;
    for (int k = 0; k < a.n; ++k) {
      V v = static_cast<const V*>(a.src[k])[i];
      const E* el = reinterpret_cast<const E*>(&v);
#pragma unroll
      for (int e = 0; e < kPer; ++e) acc[e] += to_float<DT>(el[e]);
    }
    V out;
    E* el = reinterpret_cast<E*>(&out);
#pragma unroll
    for (int e = 0; e < kPer; ++e) el[e] = E(from_float<DT>(acc[e]));
    static_cast<V*>(a.dst)[i] = out;
  }
  // Tail elements past the last whole vector.
  const int64_t t = nv * kPer + blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (VEC && t < a.count) {
    float acc = 0.f;
    for (int k = 0; k < a.n; ++k) acc += to_float<DT>(static_cast<const E*>(a.src[k])[t]);
    static_cast<E*>(a.dst)[t] = E(from_float<DT>(acc));
  }
}

template <int DT>
void launch(const SumArgs& a, bool vec, cudaStream_t stream) {
  int dev = 0, sms = 0;
  BB_CUDA(cudaGetDevice(&dev));
  BB_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  const int64_t per = vec ? 16 / (DT == 2 ? 4 : 2) : 1;
  const int64_t work = std::max<int64_t>(a.count / per, 1);
  // The tail (< one vector) goes to the first threads of the grid, so any grid covers it.
  const unsigned grid = unsigned(std::min<int64_t>((work + kThreads - 1) / kThreads, int64_t(sms) * 16));
  if (vec)
    sum_kernel<DT, true><<<grid, kThreads, 0, stream>>>(a);
  else
    sum_kernel<DT, false><<<grid, kThreads, 0, stream>>>(a);
  BB_CUDA_LAUNCHED("sum_kernel");
}

}  // namespace

void cuda_sum(void* dst, const void* const* srcs, int n, int64_t count, int dtype, cudaStream_t stream) {
  if (n < 0 || n > kSumMaxSrcs)
    throw Error("cuda_sum", "cuda_sum takes at most " + std::to_string(kSumMaxSrcs) + " sources, got " + std::to_string(n));
  if (count <= 0) return;
  if (n == 0) {
    BB_CUDA(cudaMemsetAsync(dst, 0, size_t(count) * (dtype == 2 ? 4 : 2), stream));
    return;
  }
  SumArgs a{};
  a.dst = dst;
  a.n = n;
  a.count = count;
  uintptr_t bits = reinterpret_cast<uintptr_t>(dst);
  for (int k = 0; k < n; ++k) {
    a.src[k] = srcs[k];
    bits |= reinterpret_cast<uintptr_t>(srcs[k]);
  }
  const bool vec = (bits & 15) == 0;
  switch (dtype) {
    case 0: launch<0>(a, vec, stream); break;
    case 1: launch<1>(a, vec, stream); break;
    default: launch<2>(a, vec, stream); break;
  }
}

}  // namespace bb
