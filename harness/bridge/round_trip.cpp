#include "bridge/round_trip.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "plan/audit.hpp"
#ifdef BB_HAVE_CUDA
#include "measure/gpu_activity.hpp"
#endif

namespace bb {

Comm* CommCache::get(const std::vector<std::vector<int>>& groups) {
  auto it = made_.find(groups);
  if (it == made_.end()) it = made_.emplace(groups, world_.split(groups)).first;
  return it->second.get();
}

void check_shape(const Plan& plan, const BridgeShape& sh) {
  if (sh.b < 1 || sh.s < 1 || sh.h < 1)
    throw Error("bad_shape", "b, s and h must be >= 1 (got b=" + std::to_string(sh.b) + " s=" +
                                 std::to_string(sh.s) + " h=" + std::to_string(sh.h) + ")");
  if (plan.direction == Direction::fan_out && sh.b % plan.scale != 0)
    throw Error("batch_not_divisible", "src batch " + std::to_string(sh.b) +
                                           " is not divisible by the fan-out scale " +
                                           std::to_string(plan.scale));
  if (plan.dest_cp > 1 && sh.s % (2 * plan.dest_cp) != 0)
    throw Error("seq_not_divisible", "sequence " + std::to_string(sh.s) + " is not divisible by 2*cp = " +
                                         std::to_string(2 * plan.dest_cp) + " (SPEC 5 load-balanced chunks)");
}

namespace {

// Which ranks' buffers share one memory (and one cache): all of them in thread simulations.
int ranks_sharing_memory(const Comm& world) { return world.backend() == "nccl" ? 1 : world.size(); }

std::mutex g_first_mu;

struct Checker {
  RankBridge& rb;
  CheckOutcome& out;
  void verify(const char* tensor, const void* p, const PatternGeom& g, const std::vector<int64_t>& table) {
    VerifyResult r = rb.dev().verify(p, g, table);
    ++out.tensors_checked;
    out.elements_checked += pattern_elems(g);
    if (r.mismatches == 0) return;
    if (out.mismatches == 0) {
      out.first_mismatch = describe_mismatch(tensor, rb.rank(), g, r);
      std::lock_guard<std::mutex> lk(g_first_mu);
      std::fprintf(stderr, "oracle mismatch: %s\n", out.first_mismatch.c_str());
    }
    out.mismatches += r.mismatches;
  }
};

}  // namespace

RunResult run_round_trip(const Plan& plan, const BridgeShape& shape, const Strategy& strategy,
                         CommCache& comms, Device& dev, const RunOptions& opts) {
  check_shape(plan, shape);
  Comm& world = comms.world();
  if (world.size() != plan.world)
    throw Error("world_mismatch", "the plan is for a world of " + std::to_string(plan.world) +
                                      " ranks but " + std::to_string(world.size()) + " are running");
  RunResult res;
  const int rank = world.rank();
  const bool member = plan.in_grid(rank);

  // Subgroups first: the split is collective over the whole world, members or not.
  Comm* gather = comms.get(strategy.gather_groups(plan));
  Comm* cp = comms.get(plan.cp_groups);

  std::unique_ptr<RankBridge> rb;
  std::vector<DeviceBuffer> owned;
  std::vector<RankBridge::Buffers> pristine;
  int64_t per_set = 0;
  if (member) {
    rb = std::make_unique<RankBridge>(plan, shape, world, dev);
    rb->set_comms(gather, cp);
    const int64_t src = rb->src_ref(nullptr).bytes(), dest = rb->dest_ref(nullptr).bytes();
    const int64_t shard = rb->shard_ref(nullptr).bytes();
    const bool c1 = plan.dest_cp == 1;
    per_set = src + (c1 ? 0 : shard) + shard + src + (strategy.makes_dest(*rb) ? dest : 0) +
              (strategy.makes_dest_grad(*rb) ? dest : 0);
    for (const auto& w : strategy.workspaces(*rb)) per_set += w.bytes;
  }
  // Rotate buffer sets so small configs do not run out of the cache (METHOD: rotate > L2).
  const int sharing = ranks_sharing_memory(world);
  int sets = opts.buffer_sets;
  if (sets <= 0) {
    const double need = 2.0 * double(opts.l2_bytes);
    const double have = double(std::max<int64_t>(per_set, 1)) * sharing;
    sets = std::clamp(int((need + have - 1) / have), 1, 8);
  }
  sets = int(world.max_over_ranks(double(sets)));  // same count on every rank
  if (!opts.time) sets = 1;
  res.buffer_sets = sets;
  // Checked by every rank before any allocates, and agreed, so all refuse the config together.
  std::string oom;
  if (member) {
    const int64_t budget = dev.memory_budget_bytes();
    const double total = double(per_set) * sets * sharing;
    if (budget >= 0 && total > 0.9 * double(budget))
      oom = "config needs " + std::to_string(int64_t(total) >> 20) + " MiB (" + std::to_string(sets) +
            " buffer set(s) x " + std::to_string(sharing) + " rank(s) sharing memory) but only " +
            std::to_string(budget >> 20) + " MiB are available on " + dev.kind();
  }
  if (world.max_over_ranks(oom.empty() ? 0.0 : 1.0) > 0)
    throw Error("out_of_memory_budget", oom.empty() ? "a peer rank does not have the memory for this config" : oom);
  if (member) {
    auto alloc = [&](int64_t bytes) {
      owned.emplace_back(dev, size_t(bytes));
      return owned.back().get();
    };
    for (int k = 0; k < sets; ++k) {
      RankBridge::Buffers b;
      b.src = alloc(rb->src_ref(nullptr).bytes());
      b.grad_shard = alloc(rb->shard_ref(nullptr).bytes());
      b.src_grad = alloc(rb->src_ref(nullptr).bytes());
      if (plan.dest_cp > 1) b.shard = alloc(rb->shard_ref(nullptr).bytes());
      if (strategy.makes_dest(*rb)) b.dest = alloc(rb->dest_ref(nullptr).bytes());
      if (strategy.makes_dest_grad(*rb)) b.dest_grad = alloc(rb->dest_ref(nullptr).bytes());
      for (const auto& w : strategy.workspaces(*rb)) b.ws[w.name] = alloc(w.bytes);
      pristine.push_back(b);
    }
    rb->sets() = pristine;
    res.peak_bytes = per_set * sets;
  }

  const int c = plan.dest_cp;
  const int cpr = member ? plan.dest_of(rank).cp : 0;
  const int64_t b = shape.b, bd = member ? rb->dest_batch() : 0;
  auto fill_inputs = [&](RankBridge::Buffers& B) {
    dev.fill(B.src, pattern_geom(shape, b, c, -1, kSaltActivation), src_table(plan, rank, b));
    dev.fill(B.grad_shard, pattern_geom(shape, bd, c, c > 1 ? cpr : -1, kSaltGradient),
             dest_table(plan, rank, b));
  };

  // 1. The checked run (buffer set 0): poison every output and workspace, run, check all.
  if (member) {
    RankBridge::Buffers& B = rb->sets()[0];
    B = pristine[0];
    rb->use_set(0);
    dev.fill(B.src, pattern_geom(shape, b, c, -1, kSaltActivation), src_table(plan, rank, b));
    for (void* p : {B.shard, B.dest, B.dest_grad, B.src_grad, B.grad_shard})
      if (p) dev.poison(p, size_t(p == B.src_grad ? rb->src_ref(nullptr).bytes()
                                  : p == B.shard || p == B.grad_shard ? rb->shard_ref(nullptr).bytes()
                                                                      : rb->dest_ref(nullptr).bytes()));
    for (const auto& w : strategy.workspaces(*rb)) dev.poison(B.ws.at(w.name), size_t(w.bytes));
    PhaseRecorder rec(dev, false, opts.nvtx, nullptr);
    rb->set_recorder(&rec);
    strategy.forward(*rb);
    world.synchronize();
    Checker chk{*rb, res.check};
    auto dtab = dest_table(plan, rank, b);
    if (B.dest) chk.verify("forward output (dest)", B.dest, pattern_geom(shape, bd, c, -1, kSaltActivation), dtab);
    if (c > 1) chk.verify("CP shard", B.shard, pattern_geom(shape, bd, c, cpr, kSaltActivation), dtab);
    // The LLM's gradient w.r.t. its shard, written over the poison.
    dev.fill(B.grad_shard, pattern_geom(shape, bd, c, c > 1 ? cpr : -1, kSaltGradient), dtab);
    strategy.backward(*rb);
    world.synchronize();
    if (B.dest_grad && c > 1)
      chk.verify("CP-reduced gradient (dest_grad)", B.dest_grad, pattern_geom(shape, bd, c, -1, kSaltGradient),
                 reduced_grad_table(plan, rank, b));
    chk.verify("backward output (src_grad)", B.src_grad, pattern_geom(shape, b, c, -1, kSaltGradient),
               src_grad_table(plan, rank, b));
    res.work = rec.work();
    rb->set_recorder(nullptr);
  }
  // Minimal compile fix for the vector type (issue 12): the lead gathers every failing rank.
  const int highest_failing =
      int(world.max_over_ranks(res.check.mismatches > 0 ? double(rank + 1) : 0.0));  // highest failing rank + 1
  if (highest_failing > 0) res.check.failing_ranks.push_back(highest_failing - 1);
  res.check.ok = highest_failing == 0;
  res.peak_bytes = int64_t(world.max_over_ranks(double(res.peak_bytes)));
  if (!res.check.ok || !opts.time) return res;

  // 2. Timed iterations: inputs in every set, then warm-up and measured round trips.
  if (member)
    for (int k = 0; k < sets; ++k) {
      rb->sets()[size_t(k)] = pristine[size_t(k)];
      fill_inputs(rb->sets()[size_t(k)]);
    }
  world.synchronize();
  // CUPTI attributes work to the phase pushed when it is launched; a graph launches all phases
  // at once, so graph mode reports no per-phase busy time.
  PhaseRecorder rec(dev, true, opts.nvtx, opts.graph ? nullptr : opts.cupti);
  if (member) rb->set_recorder(&rec);
  // 3. Graph mode: capture each buffer set's round trip once (after the eager checked run has
  // set everything up), then every iteration replays one. Needs a stream-ordered backend.
  std::vector<int> graphs;
  std::vector<PhaseRecorder::Snapshot> snaps;
  if (opts.graph) {
    const bool ok = world.backend() == "nccl" && (!member || dev.supports_graphs());
    if (world.max_over_ranks(ok ? 0.0 : 1.0) > 0)
      throw Error("graph_unsupported", "graph mode needs the nccl backend on GPUs (the " + world.backend() +
                                           " backend meets its peers on the host inside a collective)");
    if (member) {
      dev.reset_marks();
      for (int k = 0; k < sets; ++k) {
        rb->use_set(size_t(k));
        RankBridge::Buffers& B = rb->buf();
        const auto& P = pristine[size_t(k)];
        B.dest = P.dest; B.shard = P.shard; B.dest_grad = P.dest_grad; B.src_grad = P.src_grad;
        dev.begin_capture();
        rec.begin_iteration(/*reset_marks=*/false);
        strategy.forward(*rb);
        strategy.backward(*rb);
        rec.end_iteration();
        graphs.push_back(dev.end_capture());
        snaps.push_back(rec.snapshot());
      }
    }
    world.synchronize();
  }
  int warmup = std::max(opts.warmup, 1);
  for (int it = 0; it < warmup + opts.iterations; ++it) {
    const bool measured = it >= warmup;
    const auto t_start = std::chrono::steady_clock::now();
#ifdef BB_HAVE_CUDA
    if (opts.cupti && it == warmup) {
      world.barrier();
      if (rank == 0) opts.cupti->take_busy_ms();  // drop warm-up records
      world.barrier();
    }
#endif
    world.barrier();
    std::array<double, kPhaseCount> ph{};
    double total = 0;
    if (member) {
      if (opts.graph) {
        dev.replay(graphs[size_t(it) % graphs.size()]);
        rec.restore(snaps[size_t(it) % snaps.size()]);
      } else {
        rb->use_set(size_t(it));
        RankBridge::Buffers& B = rb->buf();
        const auto& P = pristine[size_t(it) % pristine.size()];
        B.dest = P.dest; B.shard = P.shard; B.dest_grad = P.dest_grad; B.src_grad = P.src_grad;
        rec.begin_iteration();
        strategy.forward(*rb);
        strategy.backward(*rb);
        rec.end_iteration();
      }
    }
    world.synchronize();
    if (member && measured) {
      ph = rec.phase_ms();
      total = rec.total_ms();
    }
    if (it == 0) {
      // The first round trip sets how many warm-ups reach opts.warmup_ms; all ranks agree.
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_start).count();
      const int need = ms > 0 ? int(opts.warmup_ms / ms) + 1 : 1;
      warmup = std::max(warmup, int(world.max_over_ranks(double(std::min(need, 1000)))));
    }
    if (measured) {
      res.total_ms.push_back(total);
      for (int p = 0; p < kPhaseCount; ++p) res.phase_ms[size_t(p)].push_back(ph[size_t(p)]);
    }
  }
  res.warmup_used = warmup;
  if (member) rb->set_recorder(nullptr);
  // Max over ranks, iteration by iteration.
  for (auto& v : res.total_ms) v = world.max_over_ranks(v);
  for (auto& series : res.phase_ms)
    for (auto& v : series) v = world.max_over_ranks(v);
  res.gpu_busy_ms.fill(-1.0);
#ifdef BB_HAVE_CUDA
  if (opts.cupti && !opts.graph) {
    world.barrier();
    std::array<double, kPhaseCount> busy{};
    if (rank == 0) {
      // Per phase: the busiest GPU (the emulation's ranks share one).
      for (const auto& [key, ms] : opts.cupti->take_busy_ms()) {
        if (key.first < 1 || key.first > uint64_t(kPhaseCount)) continue;
        busy[size_t(key.first - 1)] = std::max(busy[size_t(key.first - 1)], ms / opts.iterations);
      }
    }
    for (int p = 0; p < kPhaseCount; ++p) res.gpu_busy_ms[size_t(p)] = world.max_over_ranks(rank == 0 ? busy[size_t(p)] : -1.0);
  }
#endif
  return res;
}

}  // namespace bb
