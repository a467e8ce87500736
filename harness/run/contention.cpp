#include "run/contention.hpp"

#include <algorithm>

#include "run/timed_body.hpp"

namespace bb {

void time_contended(const RunContext& cx, LoopBody body, const LoopOptions& lo, RunResult& res) {
  ConcurrentLoad& load = *cx.opts.contention;
  Comm& world = cx.world;
  world.barrier();
  const LoadWindow alone = load.alone(cx.opts.load_alone_ms);
  world.barrier();
  body.before_measured = [&] {
    world.barrier();
    load.start();
  };
  LoopSamples ls;
  try {
    ls = run_timing_loop(world, cx.dev, lo, body);
  } catch (...) {
    try {
      load.stop();
    } catch (...) {
    }
    throw;
  }
  const LoadWindow under = load.stop();
  const TimedBody::Samples s = TimedBody::split(ls);
  res.contended = true;
  res.contended_total_ms = s.total_ms;
  res.contended_phase_ms = s.phase_ms;
  const double lost = alone.tflops > 0 ? under.window_ms * std::max(0.0, 1.0 - under.tflops / alone.tflops) : 0;
  res.load_alone_tflops = -world.max_over_ranks(-alone.tflops);
  res.load_under_tflops = -world.max_over_ranks(-under.tflops);
  res.load_window_ms = world.max_over_ranks(under.window_ms);
  res.load_lost_ms_per_iter = world.max_over_ranks(lost / std::max(1, cx.opts.iterations));
}

}  // namespace bb
