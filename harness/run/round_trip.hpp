#pragma once
// One config, on one rank: set up, run the full round trip once under the oracle (every output
// poisoned first, every element checked), then time warm-up + measured iterations. Every rank
// of the world calls it with the same arguments; ranks outside the grid only take part in the
// agreements. Timed iterations never check, and nothing is timed unless the check passed.
// The engine's collaborators, one concept per file of run/: the buffer layout (buffer_layout),
// allocation and registration (buffer_sets), the checked run (checked_run, agree), graph
// capture (graph_capture), the timed body (timed_body), activity (activity) and contention
// (contention). Pre-run validation of a config is config/validate.hpp (check_shape).
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/strategy.hpp"
#include "comm/nccl_path.hpp"
#include "config/validate.hpp"
#include "measure/timing_loop.hpp"
#include "run/comm_cache.hpp"
#include "run/concurrent_load.hpp"

namespace bb {

class GpuActivity;

struct RunOptions {
  int warmup = 3;            // at least this many warm-up round trips...
  double warmup_ms = 50;     // ...and at least this long, so short configs reach steady clocks
  int iterations = 20;
  Cadence cadence = Cadence::isolated;  // see measure/timing_loop.hpp
  int delay_rank = -1;       // test-only: this world rank launches each iteration delay_ms late
  double delay_ms = 0;
  int delay_every = 1;       // only every delay_every-th iteration (measure/timing_loop.hpp)
  PhaseDelay phase_delay;    // test-only: a planted slowdown in one phase (measure/phases.hpp)
  bool time = true;          // false: check only
  bool nvtx = true;
  bool graph = false;        // capture each buffer set's round trip as a CUDA graph, time replays
  GpuActivity* cupti = nullptr;  // per-phase GPU busy time when set
  int buffer_sets = 0;           // 0: rotate enough sets to exceed 2x the cache (l2_bytes)
  int64_t l2_bytes = 50ll << 20;
  NcclPath nccl_path = NcclPath::default_path;  // comm/nccl_path.hpp
  // When set: after the idle timed loop, the loop once more with this load running beside it.
  ConcurrentLoad* contention = nullptr;
  double load_alone_ms = 200;  // the load alone, measured right before the contended loop
  // Test-only (bridge_bench --dump-tensors, host device): each member writes its checked run's
  // tensors here (run/tensor_dump.hpp), whether or not the oracle passes.
  std::string dump_dir;
};

struct CheckOutcome {
  bool ok = true;
  // While checking: this rank's counts; once the run returns: summed over the world's ranks
  // (ranks outside the bridge add nothing), so an offset layout reports what the bridge did.
  int tensors_checked = 0;
  int64_t elements_checked = 0;
  int64_t elements_expected = 0;  // the elements the bridge's outputs hold, from their shapes
  int64_t mismatches = 0;
  std::vector<int> failing_ranks;  // world ranks with a mismatch, ascending
  std::string first_mismatch;      // this process's first failing description
};

struct RunResult {
  CheckOutcome check;
  std::array<PhaseWork, kPhaseCount> work{};
  // Per measured iteration, max over ranks (a collective ends with its slowest rank).
  std::vector<double> total_ms;
  std::array<std::vector<double>, kPhaseCount> phase_ms{};
  std::array<std::vector<double>, kPhaseCount> phase_launch_ms{};  // host enqueue time, max over ranks
  std::vector<double> launch_skew_ms;  // per measured iteration, over the world's ranks
  std::vector<double> launch_ms;       // per measured iteration: the slowest rank's enqueue
  Cadence cadence = Cadence::isolated;
  int gate_expiries = 0;
  std::array<double, kPhaseCount> gpu_busy_ms{};  // per iteration; < 0 when not measured
  int64_t peak_bytes = 0;                          // max over ranks of the bridge's allocations
  int buffer_sets = 1;
  int warmup_used = 0;  // warm-up round trips actually run (>= RunOptions.warmup)
  double phase_delay_us = 0;  // RunOptions.phase_delay's length in the measured iterations
  // The NCCL path (comm/nccl_path.hpp): requested, and per phase what ran (CUPTI counts).
  NcclPath nccl_path = NcclPath::default_path;
  bool path_registered = false;   // buffers came from the backend's provider and were registered
  double path_setup_ms = -1;      // allocation + registration of every buffer set, max over ranks
  bool activity_measured = false; // per-phase CUPTI counts taken (eager mode with CUPTI)
  std::array<PhaseActivity, kPhaseCount> activity{};  // per iteration is not kept: all measured ones
  std::array<PathUsed, kPhaseCount> path_used{};
  // Contention (RunOptions.contention): the same loop again beside the load.
  bool contended = false;
  std::vector<double> contended_total_ms;
  std::array<std::vector<double>, kPhaseCount> contended_phase_ms{};
  double load_alone_tflops = 0;       // min over ranks
  double load_under_tflops = 0;       // min over ranks, during the contended loop
  double load_window_ms = 0;
  double load_lost_ms_per_iter = 0;   // max over ranks: window * (1 - under/alone) / iterations
};

RunResult run_round_trip(const Plan& plan, const BridgeShape& shape, const Strategy& strategy,
                         CommCache& comms, Device& dev, const RunOptions& opts);

}  // namespace bb
