#pragma once
// The round trip as the timing loop's body (measure/timing_loop.hpp). A member enqueues forward
// + backward on the iteration's buffer set (or replays that set's graph) and reads
// 1 + 2 x kPhaseCount values: the total, each phase's GPU time, each phase's host launch time.
// Ranks outside the grid run nothing.
#include <array>
#include <map>

#include "measure/phases.hpp"
#include "measure/timing_loop.hpp"
#include "run/buffer_sets.hpp"
#include "run/context.hpp"
#include "run/graph_capture.hpp"

namespace bb {

class TimedBody {
 public:
  // `graphs`: nullptr in eager mode.
  TimedBody(const RunContext& cx, PhaseRecorder& rec, BufferSets& sets, GraphSet* graphs)
      : cx_(cx), rec_(rec), sets_(sets), graphs_(graphs) {}
  // The body refers to this object: it must outlive every loop run with it.
  LoopBody body();

  // A loop's values, in body()'s order: the total, then each phase's GPU and launch times.
  struct Samples {
    std::vector<double> total_ms;
    std::array<std::vector<double>, kPhaseCount> phase_ms{}, phase_launch_ms{};
  };
  static Samples split(const LoopSamples& ls);

 private:
  struct Kept {  // one iteration's marks, kept so streaming can read them after the batch
    PhaseRecorder::Snapshot marks;
    std::array<double, kPhaseCount> launch{};
  };
  const RunContext& cx_;
  PhaseRecorder& rec_;
  BufferSets& sets_;
  GraphSet* graphs_;
  std::map<int, Kept> kept_;
};

}  // namespace bb
