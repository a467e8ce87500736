#pragma once
// One config, on one rank: set up, run the full round trip once under the oracle (every output
// poisoned first, every element checked), then time warm-up + measured iterations. Every rank
// of the world calls it with the same arguments; ranks outside the grid only take part in the
// agreements. Timed iterations never check, and nothing is timed unless the check passed.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/strategy.hpp"

namespace bb {

class GpuActivity;

struct RunOptions {
  int warmup = 3;            // at least this many warm-up round trips...
  double warmup_ms = 50;     // ...and at least this long, so short configs reach steady clocks
  int iterations = 20;
  bool time = true;          // false: check only
  bool nvtx = true;
  bool graph = false;        // capture each buffer set's round trip as a CUDA graph, time replays
  GpuActivity* cupti = nullptr;  // per-phase GPU busy time when set
  int buffer_sets = 0;           // 0: rotate enough sets to exceed 2x the cache (l2_bytes)
  int64_t l2_bytes = 50ll << 20;
};

// Subgroups created once per distinct group list and reused across configs.
class CommCache {
 public:
  explicit CommCache(Comm& world) : world_(world) {}
  Comm* get(const std::vector<std::vector<int>>& groups);
  Comm& world() { return world_; }

 private:
  Comm& world_;
  std::map<std::vector<std::vector<int>>, std::unique_ptr<Comm>> made_;
};

struct CheckOutcome {
  bool ok = true;
  int tensors_checked = 0;       // on this rank
  int64_t elements_checked = 0;  // summed over the bridge's member ranks
  int64_t elements_expected = 0; // the checked tensors' element counts, summed over member ranks
  int64_t mismatches = 0;        // on this rank
  std::vector<int> failing_ranks;  // world ranks whose check failed, agreed over the world
  std::string first_mismatch;    // this process's first failing description
};

struct RunResult {
  CheckOutcome check;
  std::array<PhaseWork, kPhaseCount> work{};
  // Per measured iteration, max over ranks (a collective ends with its slowest rank).
  std::vector<double> total_ms;
  std::array<std::vector<double>, kPhaseCount> phase_ms{};
  std::array<double, kPhaseCount> gpu_busy_ms{};  // per iteration; < 0 when not measured
  int64_t peak_bytes = 0;                          // max over ranks of the bridge's allocations
  int buffer_sets = 1;
  int warmup_used = 0;  // warm-up round trips actually run (>= RunOptions.warmup)
};

RunResult run_round_trip(const Plan& plan, const BridgeShape& shape, const Strategy& strategy,
                         CommCache& comms, Device& dev, const RunOptions& opts);

// Validates a shape against a plan before anything runs (rule ids: batch_not_divisible,
// seq_not_divisible, bad_shape).
void check_shape(const Plan& plan, const BridgeShape& shape);

}  // namespace bb
