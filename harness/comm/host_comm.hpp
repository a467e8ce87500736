#pragma once
// Host simulation: N ranks as threads in one process over host memory. The CPU reference that
// CI runs, not a distributed engine.
#include <memory>

#include "comm/comm.hpp"
#include "comm/rendezvous.hpp"

namespace bb {

// Shared state of one simulated world; make one per run and give each rank thread its Comm.
class HostWorld {
 public:
  HostWorld(int size, double timeout_s);
  std::unique_ptr<Comm> comm(int rank);
  // Makes every waiting rank of the world throw at once (a peer failed).
  void abort(const std::string& why) { abort_->abort(why); }

 private:
  std::shared_ptr<AbortState> abort_;
  std::shared_ptr<Rendezvous> root_;
};

}  // namespace bb
