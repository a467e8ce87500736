// The launch gate: a one-thread kernel that holds its stream until the host opens it. A rank
// enqueues the gate, then the whole iteration, then opens the gate, so its GPU starts only once
// every launch of the iteration is queued: the host's launch latency (and any delay before it)
// can no longer leak into a measured phase. nvbench's "blocking kernel" does the same.
#include <cuda_runtime.h>

#include "check.cuh"
#include "cuda_kernels.cuh"
#include "global_timer.cuh"

namespace bb {
namespace {

// Waits until *open >= ticket, or until timeout_ns have passed (then records the expiry, so a
// host that blocked while enqueueing never deadlocks its own GPU).
__global__ void gate_kernel(const volatile unsigned long long* open, unsigned long long ticket,
                            unsigned long long timeout_ns, volatile unsigned int* expired) {
  const unsigned long long t0 = global_ns();
  while (*open < ticket) {
    if (global_ns() - t0 > timeout_ns) {
      *expired = *expired + 1;  // one thread, host-mapped memory: a plain write suffices
      return;
    }
    __nanosleep(500);
  }
}

}  // namespace

void cuda_gate(const unsigned long long* open_flag, unsigned long long ticket, double timeout_s,
               unsigned int* expired, cudaStream_t stream) {
  gate_kernel<<<1, 1, 0, stream>>>(open_flag, ticket, (unsigned long long)(timeout_s * 1e9), expired);
  BB_CUDA_LAUNCHED("gate_kernel");
}

}  // namespace bb
