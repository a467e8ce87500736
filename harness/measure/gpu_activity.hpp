#pragma once
// GPU busy time per phase from CUPTI activity records (no nsys needed). Phases are attributed by
// pushing an external correlation id around each phase on the calling thread; a phase's busy
// time is the union of its kernel/memcpy/memset intervals (NCCL and local kernels can overlap).
// Built only with CUDA+CUPTI (harness/measure/cupti_activity.cpp).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "comm/nccl_path.hpp"

namespace bb {

class GpuActivity {
 public:
  virtual ~GpuActivity() = default;
  // Brackets work that belongs to phase `id` on the calling thread (nesting not needed).
  // `stream` (a cudaStream_t, or nullptr) is the phase's stream: work another thread launches on
  // it while the phase is open belongs to the phase too (NCCL's non-blocking communicators
  // launch each collective from a helper thread of their own).
  virtual void push_phase(uint64_t id, const void* stream = nullptr) = 0;
  virtual void pop_phase() = 0;
  // Flushes the records and returns, per (phase id, device ordinal), the busy milliseconds
  // since the last call (union of intervals), then forgets them.
  virtual std::map<std::pair<uint64_t, int>, double> take_busy_ms() = 0;
  // What the records of the latest take_busy_ms() were, per (phase id, device): NCCL kernels by
  // name, other kernels, peer/device/host copies (comm/nccl_path.hpp), for the path detector.
  virtual std::map<std::pair<uint64_t, int>, PhaseActivity> last_counts() const { return {}; }
};

// Process-wide (CUPTI takes one subscriber). nullptr when CUPTI is unavailable; `why` says so.
std::shared_ptr<GpuActivity> start_gpu_activity(std::string* why);

}  // namespace bb
