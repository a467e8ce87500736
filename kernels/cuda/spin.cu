// The test-only spin: one thread busy on a stream for a given number of nanoseconds of the
// global timer, so a planted slowdown (harness/measure/phases.hpp PhaseDelay) lasts exactly
// that long in stream order. It knows nothing of ranks or phases: only a length.
#include <cuda_runtime.h>

#include "check.cuh"
#include "cuda_kernels.cuh"
#include "global_timer.cuh"

namespace bb {
namespace {

__global__ void spin_kernel(unsigned long long ns) {
  const unsigned long long t0 = global_ns();
  while (global_ns() - t0 < ns) {
  }
}

}  // namespace

void cuda_spin(int64_t ns, cudaStream_t stream) {
  if (ns <= 0) return;
  spin_kernel<<<1, 1, 0, stream>>>((unsigned long long)ns);
  BB_CUDA_LAUNCHED("spin_kernel");
}

void cuda_spin_load() {
  cudaFuncAttributes a;
  BB_CUDA(cudaFuncGetAttributes(&a, spin_kernel));
}

}  // namespace bb
