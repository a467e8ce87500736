#pragma once
// Graph mode: each buffer set's round trip captured once as a CUDA graph (after the eager
// checked run has set everything up); every timed iteration then replays one. Needs a
// stream-ordered backend (Error("graph_unsupported") otherwise, on every rank together).
#include <vector>

#include "measure/phases.hpp"
#include "run/buffer_sets.hpp"
#include "run/context.hpp"

namespace bb {

class GraphSet {
 public:
  explicit GraphSet(const RunContext& cx) : cx_(cx) {}
  // The config's graphs go before its buffers and communicators: they hold NCCL's persistent
  // resources. Not while an error unwinds (a collective may hang in a replay): the Device
  // destroys them after the communicators are aborted.
  ~GraphSet();
  GraphSet(const GraphSet&) = delete;
  GraphSet& operator=(const GraphSet&) = delete;

  // Collective. A member records each set's marks as captured, for replays to report.
  void capture(PhaseRecorder& rec, BufferSets& sets);
  // Launches iteration `it`'s graph; returns the marks its capture recorded.
  const PhaseRecorder::Snapshot& replay(int it);

 private:
  const RunContext& cx_;
  std::vector<int> graphs_;
  std::vector<PhaseRecorder::Snapshot> snaps_;
};

}  // namespace bb
