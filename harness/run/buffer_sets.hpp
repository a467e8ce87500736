#pragma once
// A config's buffer sets on one rank (the layout of run/buffer_layout.hpp, once per set): how
// many (rotated so small configs do not run out of the cache), the memory budget every rank
// agrees on, and where they come from: the Device, or on a non-default NCCL path one arena per
// set from the backend's provider, registered on the round trip's communicators.
#include <memory>
#include <vector>

#include "run/buffer_layout.hpp"
#include "run/context.hpp"

namespace bb {

class BufferSets {
 public:
  // `provider`: nullptr on the default path (the Device allocates); `path_comms`: the
  // communicators a path's buffers are registered on.
  BufferSets(const RunContext& cx, std::vector<Comm*> path_comms, std::unique_ptr<BufferProvider> provider);
  ~BufferSets();  // registered memory is deregistered on every communicator before it is freed
  BufferSets(const BufferSets&) = delete;
  BufferSets& operator=(const BufferSets&) = delete;

  // Collective: agrees on the count and the budget (every rank refuses a config together with
  // Error("out_of_memory_budget")), allocates, and records buffer_sets, peak_bytes (max over
  // ranks) and on a path path_registered and path_setup_ms.
  void allocate(RunResult& res);
  int count() const { return count_; }
  // Buffer set k as allocated (a strategy may have re-pointed the live set's outputs).
  const RankBridge::Buffers& pristine(int k) const { return pristine_[size_t(k) % pristine_.size()]; }
  // Makes set `it` current, its outputs restored to its own buffers.
  RankBridge::Buffers& use(int it);
  // Every live set back to its own buffers (the checked run and a strategy may have moved them).
  void reset();

 private:
  void allocate_on_path(RunResult& res);
  const RunContext& cx_;
  std::vector<Comm*> path_comms_;
  std::unique_ptr<BufferProvider> provider_;
  BufferLayout layout_;  // a member's; empty outside the grid
  int count_ = 1;
  std::vector<DeviceBuffer> owned_;
  std::vector<void*> arenas_;
  std::vector<RankBridge::Buffers> pristine_;
};

}  // namespace bb
