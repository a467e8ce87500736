#pragma once
// The phase vocabulary and the per-rank recorder. One string names a phase everywhere: the NVTX
// range, the CUPTI bucket, the JSON key and the report column (docs/results-schema.md).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bb {

class Comm;
class Device;
class GpuActivity;

// The phase table: one row per phase, in execution order (name, role, timeline colour). Adding
// a phase is one row here plus the strategy that enters it; the enum, the count, the names, the
// NVTX colours and the results JSON's "phase_table" (which the scripts read) all follow.
//   role: "local" (copies on one rank) or "comm" (a collective phase); colour: ARGB, forward
//   work green, backward blue, communication warm, so timelines read alike run after run.
#define BB_PHASE_TABLE(X)              \
  X(fwd_local, "local", 0xFF66BB6A)    \
  X(fwd_comm, "comm", 0xFFFFA726)      \
  X(cp_shard, "local", 0xFFAB47BC)     \
  X(cp_adjoint, "local", 0xFF7E57C2)   \
  X(bwd_cp, "comm", 0xFFEF5350)        \
  X(bwd_comm, "comm", 0xFFFF7043)      \
  X(bwd_local, "local", 0xFF42A5F5)

#define BB_PHASE_ENUM(name, role, argb) name,
enum class Phase : int { BB_PHASE_TABLE(BB_PHASE_ENUM) };
#undef BB_PHASE_ENUM
#define BB_PHASE_COUNT(name, role, argb) +1
constexpr int kPhaseCount = 0 BB_PHASE_TABLE(BB_PHASE_COUNT);
#undef BB_PHASE_COUNT

struct PhaseInfo {
  const char* name;
  const char* role;  // "local" or "comm"
  uint32_t argb;
};
const PhaseInfo& phase_info(Phase p);
inline const char* phase_name(Phase p) { return phase_info(p).name; }
// The phase a name names; false when the table has none.
bool find_phase(const std::string& name, Phase* out);
std::string phase_names();  // "fwd_local, fwd_comm, ...": for messages

// Test-only (bridge_bench --test-phase-delay=PHASE:PCT): a planted slowdown, so that a verdict
// can be shown to catch one. Inside the named phase of every measured iteration, after the
// phase's work is enqueued and before its end mark, the device is held for PCT% of that
// phase's median over the warm-up (which runs undelayed): +5% is 5% of that phase, whatever the
// shape. A phase entered twice in one iteration is delayed once.
struct PhaseDelay {
  Phase phase = Phase::fwd_local;
  double pct = 0;  // 0: off
  bool on() const { return pct > 0; }
};
// "PHASE:PCT", 0 < PCT <= 100, PHASE a row of the phase table; Error("bad_flag") naming `flag`.
PhaseDelay parse_phase_delay(const std::string& flag, const std::string& value);

// What a phase did in one run: filled while the strategy runs, so bytes are exact.
struct PhaseWork {
  bool used = false;
  std::string kind;  // "local" or "collective"
  std::string op;    // "copy", "all_gather", "all_reduce", ...
  int group_size = 1;
  int64_t bytes = 0;       // semantics §10: collective bytes received per rank; local bytes read+written
  int64_t coll_bytes = 0;  // nccl-tests size: all-gather output, all-reduce buffer
  double bus_factor = 1;   // busbw = algbw * factor
};

// Records device marks (and NVTX ranges, CUPTI phase ids) around the phases of one iteration.
class PhaseRecorder {
 public:
  PhaseRecorder(Device& dev, bool timing, bool nvtx, GpuActivity* cupti);
  void begin_iteration(bool reset_marks = true);
  void end_iteration();
  void begin(Phase p);
  void end();
  // Milliseconds per phase (segments of a phase add up) and the iteration total; waits on marks.
  std::array<double, kPhaseCount> phase_ms();
  double total_ms();
  // Host time spent enqueueing each phase of the iteration (ms): launch latency, not GPU time.
  // Zero for a graph replay (restore() brings back marks only).
  std::array<double, kPhaseCount> launch_ms() const;
  std::array<PhaseWork, kPhaseCount>& work() { return work_; }
  Phase current() const { return current_; }
  // The test-only phase delay (PhaseDelay). Until arm_delay, each iteration's time of the phase
  // is kept as a warm-up sample; arm_delay (collective over `world`, every rank, members or not)
  // sets the delay to pct% of the samples' median, the largest over the ranks, so every member
  // waits the same; later iterations run it.
  // Before the loop (no gate closed): wait_us(0) readies the device's spin, which a first
  // spin under the gate could not do without waiting for it (device/device.hpp).
  void plan_delay(const PhaseDelay& d);
  void arm_delay(Comm& world);
  double delay_us() const { return delay_us_; }  // 0 before arm_delay
  // The marks of one recorded iteration, to read again after a graph replay re-records them.
  struct Snapshot {
    int begin = -1, end = -1;
    std::vector<std::pair<Phase, std::pair<int, int>>> spans;
  };
  Snapshot snapshot() const { return {iter_begin_, iter_end_, spans_}; }
  void restore(const Snapshot& s) {
    iter_begin_ = s.begin;
    iter_end_ = s.end;
    spans_ = s.spans;
    host_spans_.clear();
  }

 private:
  Device& dev_;
  bool timing_, nvtx_;
  GpuActivity* cupti_;
  Phase current_ = Phase::fwd_local;
  bool open_ = false;
  int iter_begin_ = -1, iter_end_ = -1;
  std::vector<std::pair<Phase, std::pair<int, int>>> spans_;
  std::vector<std::pair<Phase, std::pair<double, double>>> host_spans_;  // steady clock, ms
  std::array<PhaseWork, kPhaseCount> work_{};
  PhaseDelay delay_;
  bool armed_ = false, delayed_ = false;  // delayed_: this iteration's delay is enqueued
  double delay_us_ = 0;
  std::vector<double> warm_ms_;  // the delayed phase's time per warm-up iteration
};

}  // namespace bb
