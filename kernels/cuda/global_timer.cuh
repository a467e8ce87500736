#pragma once
// The GPU's global timer, in nanoseconds: it counts wall time whatever the SM clock does
// (clock64 would need the clock rate, which boost changes), ticking every microsecond or finer.
namespace bb {

__device__ __forceinline__ unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

}  // namespace bb
