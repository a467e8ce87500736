#include "run/round_trip.hpp"

#include <memory>

#include "run/activity.hpp"
#include "run/agree.hpp"
#include "run/buffer_sets.hpp"
#include "run/checked_run.hpp"
#include "run/contention.hpp"
#include "run/context.hpp"
#include "run/graph_capture.hpp"
#include "run/timed_body.hpp"

namespace bb {
namespace {

// One config on one rank, in the order it runs: buffers, the checked run, then the timed loop.
// The order of the steps is this class's only concern; each step is a collaborator of run/.
class RoundTrip {
 public:
  RoundTrip(const Plan& plan, const BridgeShape& shape, const Strategy& strategy, CommCache& comms, Device& dev,
            const RunOptions& opts)
      : cx_{plan, shape, strategy, dev, opts, comms.world(), comms.world().rank(), plan.in_grid(comms.world().rank())} {
    // Subgroups first: the split is collective over the whole world, members or not.
    const int cta = nccl_cta_policy(opts.nccl_path);
    Comm* gather = comms.get(strategy.gather_groups(plan), cta);
    Comm* cp = comms.get(plan.cp_groups, cta);
    // Refused (bad_flag naming the backend, or nccl_too_old) before anything is allocated.
    std::unique_ptr<BufferProvider> provider = cx_.world.buffer_provider(opts.nccl_path);
    res_.nccl_path = opts.nccl_path;
    if (cx_.member) {
      rb_ = std::make_unique<RankBridge>(plan, shape, cx_.world, dev);
      rb_->set_comms(gather, cp);
      cx_.rb = rb_.get();
    }
    sets_ = std::make_unique<BufferSets>(cx_, std::vector<Comm*>{gather, cp}, std::move(provider));
  }

  RunResult run() {
    sets_->allocate(res_);
    check();
    if (res_.check.ok && cx_.opts.time) time();
    return res_;
  }

 private:
  // The checked run (buffer set 0), then the world's agreement on sums over the members, on
  // who failed and on what each phase did.
  void check() {
    if (cx_.member) {
      checked_run(cx_, *sets_, res_);
      res_.check.elements_expected = elements_expected(cx_);
    }
    agree_on_check(cx_.world, res_.check);
    agree_on_work(cx_.world, res_.work);
  }

  // The timed iterations through the shared loop: idle, then (if asked) beside the load.
  void time() {
    refill_sets();
    PhaseRecorder rec(cx_.dev, true, cx_.opts.nvtx, cx_.opts.graph ? nullptr : cx_.opts.cupti);
    rec.plan_delay(cx_.opts.phase_delay);
    if (rb_) rb_->set_recorder(&rec);
    if (cx_.opts.graph) graphs_->capture(rec, *sets_);
    TimedBody timed(cx_, rec, *sets_, cx_.opts.graph ? graphs_.get() : nullptr);
    LoopBody body = timed.body();
    body.before_measured = drop_warmup_activity(cx_);
    if (cx_.opts.phase_delay.on())
      body.before_measured = [&rec, this, then = body.before_measured] { rec.arm_delay(cx_.world); if (then) then(); };
    const LoopOptions lo = loop_options();
    record_samples(run_timing_loop(cx_.world, cx_.dev, lo, body));
    res_.phase_delay_us = rec.delay_us();
    read_gpu_activity(cx_, res_);
    detect_paths(cx_.opts, res_);
    // After the CUPTI read above, so the contended loop's records never count as idle ones.
    if (cx_.opts.contention) time_contended(cx_, body, lo, res_);
    if (rb_) rb_->set_recorder(nullptr);
  }

  // Every buffer set back to its own outputs and freshly filled inputs (the checked run used set
  // 0 and the oracle's poison), then the world in step before the first timed iteration.
  void refill_sets() {
    sets_->reset();
    if (rb_)
      for (auto& set : rb_->sets()) fill_inputs(cx_, set);
    cx_.world.synchronize();
  }

  LoopOptions loop_options() const {
    LoopOptions lo;
    lo.cadence = cx_.opts.cadence;
    lo.warmup = cx_.opts.warmup;
    lo.warmup_ms = cx_.opts.warmup_ms;
    lo.iterations = cx_.opts.iterations;
    lo.delay_rank = cx_.opts.delay_rank;
    lo.delay_ms = cx_.opts.delay_ms;
    lo.delay_every = cx_.opts.delay_every;
    return lo;
  }

  // The loop's samples (already max over ranks) into the result.
  void record_samples(const LoopSamples& ls) {
    const TimedBody::Samples s = TimedBody::split(ls);
    res_.warmup_used = ls.warmup_used;
    res_.cadence = cx_.opts.cadence;
    res_.gate_expiries = ls.gate_expiries;
    res_.total_ms = s.total_ms;
    res_.phase_ms = s.phase_ms;
    res_.phase_launch_ms = s.phase_launch_ms;
    res_.launch_skew_ms = ls.launch_skew_ms;
    res_.launch_ms = ls.launch_ms;
  }

  RunContext cx_;
  std::unique_ptr<RankBridge> rb_;
  // Destroyed in reverse: the graphs before the buffers (run/graph_capture.hpp says why).
  std::unique_ptr<BufferSets> sets_;
  std::unique_ptr<GraphSet> graphs_ = std::make_unique<GraphSet>(cx_);
  RunResult res_;
};

}  // namespace

RunResult run_round_trip(const Plan& plan, const BridgeShape& shape, const Strategy& strategy,
                         CommCache& comms, Device& dev, const RunOptions& opts) {
  check_shape(plan, shape);
  if (comms.world().size() != plan.world)
    throw Error("world_mismatch", "the plan is for a world of " + std::to_string(plan.world) + " ranks but " +
                                      std::to_string(comms.world().size()) + " are running");
  return RoundTrip(plan, shape, strategy, comms, dev, opts).run();
}

}  // namespace bb
