#pragma once
// A meeting point for the threads that play the ranks of one group (host simulation and the
// single-GPU emulation). Every wait has a deadline: a rank that never arrives turns into a
// CommError naming the phase and the group, never a hang. A failure anywhere aborts all groups
// of the world so the other threads stop waiting at once.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace bb {

// How many collectives each world rank has enqueued on each communicator, shared by the ranks
// of one process (threads), so a timeout can name the ranks that never arrived. Under MPI each
// process sees only itself.
struct Progress {
  std::mutex mu;
  std::map<std::string, std::map<int, int64_t>> count;  // communicator key -> world rank -> calls
  void note(const std::string& comm, int world_rank) {
    std::lock_guard<std::mutex> lk(mu);
    ++count[comm][world_rank];
  }
  // "world rank(s) 1 never arrived" for the members of `comm` that enqueued fewer calls than
  // `me`; empty when every member is visible and level, or none but `me` is visible.
  std::string behind(const std::string& comm, const std::vector<int>& members, int me);
};

struct AbortState {
  Progress progress;
  std::atomic<bool> aborted{false};
  std::mutex mu;
  std::string reason;
  void abort(const std::string& why) {
    std::lock_guard<std::mutex> lk(mu);
    if (aborted.load()) return;
    reason = why;
    aborted.store(true);
  }
  std::string why() {
    std::lock_guard<std::mutex> lk(mu);
    return reason;
  }
};

class Rendezvous {
 public:
  Rendezvous(std::vector<int> world_ranks, std::shared_ptr<AbortState> abort, double timeout_s);

  int size() const { return int(world_ranks_.size()); }
  const std::vector<int>& world_ranks() const { return world_ranks_; }
  const std::shared_ptr<AbortState>& abort_state() const { return abort_; }
  double timeout_s() const { return timeout_s_; }

  // Blocks until every member arrived; throws CommError on timeout or world abort. Yields for
  // the first spin_us before sleeping on the condition variable. The timeout counts from
  // `started` when given (a collective's entry: the whole collective must finish within it, as
  // NCCL's watchdog holds it), else from this call.
  using Clock = std::chrono::steady_clock;
  void arrive_and_wait(int rank, const std::string& phase, double spin_us = 200, Clock::time_point started = {});
  // The spin of an alignment: long enough to cover a late rank's launch delay, so all members
  // leave within microseconds of each other.
  static constexpr double kAlignSpinUs = 20000;

  // Per-rank mailboxes, valid between two arrive_and_wait calls that bracket an exchange.
  std::vector<const void*> in;
  std::vector<void*> out;
  std::vector<double> value;

  // Sub-groups made by split number k (shared by the members that call split together).
  std::vector<std::shared_ptr<Rendezvous>>& split_result(uint64_t k,
                                                         const std::vector<std::vector<int>>& groups);

 private:
  std::vector<int> world_ranks_;
  std::shared_ptr<AbortState> abort_;
  double timeout_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  std::vector<char> here_;  // who arrived in the current generation, for timeout messages
  std::atomic<uint64_t> generation_{0};
  std::map<uint64_t, std::vector<std::shared_ptr<Rendezvous>>> splits_;
};

// Collective-level helper: index of `rank` in a split's groups, or -1.
int group_of(const std::vector<std::vector<int>>& groups, int rank, int* index_in_group);

// Checks that split groups are disjoint and name valid ranks (rule `bad_groups`).
void validate_groups(const std::vector<std::vector<int>>& groups, int size);

// "[0,2,4]": how every backend names a group in its messages.
std::string ranks_str(const std::vector<int>& ranks);

// Whether two byte ranges share memory (in-place collectives need a scratch copy).
inline bool overlaps(const void* a, size_t an, const void* b, size_t bn) {
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return an && bn && pa < pb + bn && pb < pa + an;
}

}  // namespace bb
