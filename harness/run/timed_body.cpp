#include "run/timed_body.hpp"

namespace bb {

LoopBody TimedBody::body() {
  LoopBody body;
  body.values = 1 + 2 * kPhaseCount;
  if (!cx_.member) return body;
  body.enqueue = [this](int it, bool fresh) {
    if (graphs_) {
      kept_[it] = {graphs_->replay(it), {}};
      return;
    }
    sets_.use(it);
    rec_.begin_iteration(/*reset_marks=*/fresh);
    cx_.strategy.forward(*cx_.rb);
    cx_.strategy.backward(*cx_.rb);
    rec_.end_iteration();
    kept_[it] = {rec_.snapshot(), rec_.launch_ms()};
  };
  body.read = [this](int it) {
    const Kept k = kept_.at(it);
    kept_.erase(it);
    rec_.restore(k.marks);
    std::vector<double> v{rec_.total_ms()};
    const auto ph = rec_.phase_ms();
    v.insert(v.end(), ph.begin(), ph.end());
    v.insert(v.end(), k.launch.begin(), k.launch.end());
    return v;
  };
  return body;
}

TimedBody::Samples TimedBody::split(const LoopSamples& ls) {
  Samples s;
  s.total_ms = ls.values[0];
  for (int p = 0; p < kPhaseCount; ++p) {
    s.phase_ms[size_t(p)] = ls.values[size_t(1 + p)];
    s.phase_launch_ms[size_t(p)] = ls.values[size_t(1 + kPhaseCount + p)];
  }
  return s;
}

}  // namespace bb
