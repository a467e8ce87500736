#include "run/graph_capture.hpp"

#include <exception>

namespace bb {

GraphSet::~GraphSet() {
  if (std::uncaught_exceptions() == 0)
    for (int g : graphs_) cx_.dev.release_graph(g);
}

void GraphSet::capture(PhaseRecorder& rec, BufferSets& sets) {
  Comm& world = cx_.world;
  const bool ok = world.traits().captures_graphs && (!cx_.member || cx_.dev.supports_graphs());
  if (world.max_over_ranks(ok ? 0.0 : 1.0) > 0)
    throw Error("graph_unsupported", "graph mode needs the nccl backend on GPUs (the " + world.backend() +
                                         " backend meets its peers on the host inside a collective)");
  if (cx_.opts.cadence != Cadence::isolated)
    throw Error("graph_unsupported", "graph mode replays re-record one set of marks: it needs the isolated cadence");
  if (cx_.member) {
    cx_.dev.reset_marks();
    for (int k = 0; k < sets.count(); ++k) {
      sets.use(k);
      cx_.dev.begin_capture();
      rec.begin_iteration(/*reset_marks=*/false);
      cx_.strategy.forward(*cx_.rb);
      cx_.strategy.backward(*cx_.rb);
      rec.end_iteration();
      graphs_.push_back(cx_.dev.end_capture());
      snaps_.push_back(rec.snapshot());
    }
  }
  world.synchronize();
}

const PhaseRecorder::Snapshot& GraphSet::replay(int it) {
  cx_.dev.replay(graphs_[size_t(it) % graphs_.size()]);
  return snaps_[size_t(it) % snaps_.size()];
}

}  // namespace bb
