#include "bridge/round_trip.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>

#include "bridge/tensor_dump.hpp"
#include "plan/audit.hpp"
#ifdef BB_HAVE_CUDA
#include "measure/gpu_activity.hpp"
#endif

namespace bb {

Comm* CommCache::get(const std::vector<std::vector<int>>& groups, int cta_policy) {
  const auto key = std::make_pair(groups, cta_policy);
  auto it = made_.find(key);
  if (it == made_.end())
    it = made_.emplace(key, cta_policy ? world_.split_cta(groups, cta_policy) : world_.split(groups)).first;
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
                                         std::to_string(2 * plan.dest_cp) + " (semantics §5 load-balanced chunks)");
}

namespace {

// Which ranks' buffers share one memory (and one cache): all of them in thread simulations.
int ranks_sharing_memory(const Comm& world) { return world.traits().shares_memory ? world.size() : 1; }

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

// One config on one rank, in the order it runs: buffers, the checked run, then the timed loop.
class RoundTrip {
 public:
  RoundTrip(const Plan& plan, const BridgeShape& shape, const Strategy& strategy, CommCache& comms, Device& dev,
            const RunOptions& opts)
      : plan_(plan), shape_(shape), strategy_(strategy), dev_(dev), opts_(opts), world_(comms.world()),
        rank_(world_.rank()), member_(plan.in_grid(rank_)) {
    // Subgroups first: the split is collective over the whole world, members or not.
    const int cta = nccl_cta_policy(opts.nccl_path);
    Comm* gather = comms.get(strategy.gather_groups(plan), cta);
    Comm* cp = comms.get(plan.cp_groups, cta);
    path_comms_ = {gather, cp};
    // Refused (bad_flag naming the backend, or nccl_too_old) before anything is allocated.
    provider_ = world_.buffer_provider(opts.nccl_path);
    res_.nccl_path = opts.nccl_path;
    if (member_) {
      rb_ = std::make_unique<RankBridge>(plan, shape, world_, dev);
      rb_->set_comms(gather, cp);
    }
  }

  ~RoundTrip() {
    // The config's graphs first: they hold NCCL's persistent resources of its communicators.
    // Not while an error unwinds (a collective may hang in a replay): the Device destroys them
    // after the communicators are aborted.
    if (std::uncaught_exceptions() == 0)
      for (int g : graphs_) dev_.release_graph(g);
    // Registered memory is deregistered on every communicator before it is freed.
    for (void* a : arenas_) {
      if (!provider_) break;
      try {
        provider_->release(a);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bridgebench: releasing a path buffer set: %s\n", e.what());
      }
    }
  }

  RunResult run() {
    allocate();
    check();
    if (res_.check.ok && opts_.time) time();
    return res_;
  }

 private:
  int64_t bytes_per_set() const {
    const int64_t src = rb_->src_ref(nullptr).bytes(), dest = rb_->dest_ref(nullptr).bytes();
    const int64_t shard = rb_->shard_ref(nullptr).bytes();
    int64_t n = src + (plan_.dest_cp == 1 ? 0 : shard) + shard + src + (strategy_.makes_dest(*rb_) ? dest : 0) +
                (strategy_.makes_dest_grad(*rb_) ? dest : 0);
    for (const auto& w : strategy_.workspaces(*rb_)) n += w.bytes;
    return n;
  }

  // Buffer sets, rotated so small configs do not run out of the cache (rotate past L2), after
  // one memory-budget check that every rank agrees on, so all refuse a config together.
  void allocate() {
    const int64_t per_set = member_ ? bytes_per_set() : 0;
    const int sharing = ranks_sharing_memory(world_);
    int sets = opts_.buffer_sets;
    if (sets <= 0) {
      const double need = 2.0 * double(opts_.l2_bytes);
      const double have = double(std::max<int64_t>(per_set, 1)) * sharing;
      sets = std::clamp(int((need + have - 1) / have), 1, 8);
    }
    sets = int(world_.max_over_ranks(double(sets)));  // same count on every rank
    if (!opts_.time) sets = 1;
    res_.buffer_sets = sets;
    std::string oom;
    if (member_) {
      const int64_t budget = dev_.memory_budget_bytes();
      const double total = double(per_set) * sets * sharing;
      if (budget >= 0 && total > 0.9 * double(budget))
        oom = "config needs " + std::to_string(int64_t(total) >> 20) + " MiB (" + std::to_string(sets) +
              " buffer set(s) x " + std::to_string(sharing) + " rank(s) sharing memory) but only " +
              std::to_string(budget >> 20) + " MiB are available on " + dev_.kind();
    }
    if (world_.max_over_ranks(oom.empty() ? 0.0 : 1.0) > 0)
      throw Error("out_of_memory_budget", oom.empty() ? "a peer rank does not have the memory for this config" : oom);
    if (provider_) {
      allocate_on_path(sets);
      return;
    }
    if (!member_) return;
    auto alloc = [&](int64_t bytes) {
      owned_.emplace_back(dev_, size_t(bytes));
      return owned_.back().get();
    };
    for (int k = 0; k < sets; ++k) pristine_.push_back(make_buffer_set(strategy_, *rb_, alloc));
    rb_->sets() = pristine_;
    res_.peak_bytes = per_set * sets;
  }

  // A path's buffer sets: one arena per set from the backend's provider, registered there on
  // the communicators the round trip uses. Every slot's size is agreed over the world (the max)
  // and rounded to the window alignment, so each slot sits at the same offset on every rank, as
  // a symmetric window requires. Collective: every rank calls the same agreements.
  void allocate_on_path(int sets) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<int64_t> own;  // src, grad_shard, src_grad, shard, dest, dest_grad, workspaces...
    std::vector<WorkspaceSpec> ws;
    if (member_) {
      own = {rb_->src_ref(nullptr).bytes(), rb_->shard_ref(nullptr).bytes(), rb_->src_ref(nullptr).bytes(),
             plan_.dest_cp > 1 ? rb_->shard_ref(nullptr).bytes() : 0,
             strategy_.makes_dest(*rb_) ? rb_->dest_ref(nullptr).bytes() : 0,
             strategy_.makes_dest_grad(*rb_) ? rb_->dest_ref(nullptr).bytes() : 0};
      ws = strategy_.workspaces(*rb_);
      for (const auto& w : ws) own.push_back(w.bytes);
    }
    const int slots = int(world_.max_over_ranks(double(own.size())));
    own.resize(size_t(slots), 0);
    std::vector<int64_t> off(size_t(slots) + 1, 0);
    for (int i = 0; i < slots; ++i)
      off[size_t(i) + 1] = off[size_t(i)] + window_round(int64_t(world_.max_over_ranks(double(own[size_t(i)]))));
    const int64_t arena = std::max<int64_t>(off.back(), kWindowAlign);
    if (member_) {
      std::vector<Comm*> on;
      for (Comm* c : path_comms_)
        if (c) on.push_back(c);
      for (int k = 0; k < sets; ++k) {
        char* base = static_cast<char*>(provider_->acquire(size_t(arena), on));
        arenas_.push_back(base);
        auto at = [&](int slot) { return own[size_t(slot)] ? static_cast<void*>(base + off[size_t(slot)]) : nullptr; };
        RankBridge::Buffers b;
        b.src = at(0);
        b.grad_shard = at(1);
        b.src_grad = at(2);
        b.shard = at(3);
        b.dest = at(4);
        b.dest_grad = at(5);
        for (size_t w = 0; w < ws.size(); ++w) b.ws[ws[w].name] = at(int(6 + w));
        pristine_.push_back(b);
      }
      rb_->sets() = pristine_;
      res_.peak_bytes = arena * sets;
    }
    res_.path_registered = provider_->registers();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    res_.path_setup_ms = world_.max_over_ranks(ms);
  }

  PatternGeom geom(int64_t batch, int cp_rank, uint32_t salt) const {
    return pattern_geom(shape_, batch, plan_.dest_cp, cp_rank, salt);
  }
  int cp_rank() const { return plan_.dest_cp > 1 ? plan_.dest_of(rank_).cp : -1; }

  void fill_inputs(RankBridge::Buffers& B) {
    dev_.fill(B.src, geom(shape_.b, -1, kSaltActivation), src_table(plan_, rank_, shape_.b));
    dev_.fill(B.grad_shard, geom(rb_->dest_batch(), cp_rank(), kSaltGradient), dest_table(plan_, rank_, shape_.b));
  }

  // The checked run (buffer set 0): poison every output and workspace, run, check every element,
  // then agree over the world on sums over the members and on who failed.
  void check() {
    if (member_) {
      checked_run();
      res_.check.elements_expected = elements_expected();
    }
    agree_on_check();
    res_.peak_bytes = int64_t(world_.max_over_ranks(double(res_.peak_bytes)));
    agree_on_work();
  }

  // A member's checked round trip: inputs from the pattern, every output poisoned first, so an
  // element the bridge never wrote fails; forward checked before the LLM's gradient goes in.
  void checked_run() {
    RankBridge::Buffers& B = rb_->sets()[0];
    B = pristine_[0];
    rb_->use_set(0);
    const int64_t b = shape_.b, bd = rb_->dest_batch();
    dev_.fill(B.src, geom(b, -1, kSaltActivation), src_table(plan_, rank_, b));
    for (void* p : {B.shard, B.dest, B.dest_grad, B.src_grad, B.grad_shard})
      if (p) dev_.poison(p, size_t(p == B.src_grad ? rb_->src_ref(nullptr).bytes()
                                   : p == B.shard || p == B.grad_shard ? rb_->shard_ref(nullptr).bytes()
                                                                       : rb_->dest_ref(nullptr).bytes()));
    for (const auto& w : strategy_.workspaces(*rb_)) dev_.poison(B.ws.at(w.name), size_t(w.bytes));
    PhaseRecorder rec(dev_, false, opts_.nvtx, nullptr);
    rb_->set_recorder(&rec);
    strategy_.forward(*rb_);
    world_.synchronize();
    std::unique_ptr<TensorDump> dump;
    if (!opts_.dump_dir.empty()) {
      dump = std::make_unique<TensorDump>(opts_.dump_dir, rank_, shape_);
      dump->add("src", rb_->src_ref(B.src));
      dump->add("shard", rb_->shard_ref(B.shard));
      if (B.dest) dump->add("dest", rb_->dest_ref(B.dest));
    }
    Checker chk{*rb_, res_.check};
    const auto dtab = dest_table(plan_, rank_, b);
    if (B.dest) chk.verify("forward output (dest)", B.dest, geom(bd, -1, kSaltActivation), dtab);
    if (plan_.dest_cp > 1) chk.verify("CP shard", B.shard, geom(bd, cp_rank(), kSaltActivation), dtab);
    // The LLM's gradient w.r.t. its shard, written over the poison.
    dev_.fill(B.grad_shard, geom(bd, cp_rank(), kSaltGradient), dtab);
    strategy_.backward(*rb_);
    world_.synchronize();
    if (dump) {
      dump->add("grad_shard", rb_->shard_ref(B.grad_shard));
      dump->add("src_grad", rb_->src_ref(B.src_grad));
      dump->finish();
    }
    if (B.dest_grad && plan_.dest_cp > 1)
      chk.verify("CP-reduced gradient (dest_grad)", B.dest_grad, geom(bd, -1, kSaltGradient),
                 reduced_grad_table(plan_, rank_, b));
    chk.verify("backward output (src_grad)", B.src_grad, geom(b, -1, kSaltGradient), src_grad_table(plan_, rank_, b));
    res_.work = rec.work();
    rb_->set_recorder(nullptr);
  }

  // What a member must have checked, from the shapes alone (so a check that skipped a tensor
  // shows as fewer elements checked than expected).
  int64_t elements_expected() const {
    const RankBridge::Buffers& B = rb_->sets()[0];
    auto elems = [](const TensorRef& t) { return t.b * t.s * t.h; };
    int64_t n = elems(rb_->src_ref(nullptr));  // src_grad
    if (plan_.dest_cp > 1) n += elems(rb_->shard_ref(nullptr));
    if (B.dest) n += elems(rb_->dest_ref(nullptr));
    if (B.dest_grad && plan_.dest_cp > 1) n += elems(rb_->dest_ref(nullptr));
    return n;
  }

  // This rank's counts become the world's sums (ranks outside the bridge add nothing), and the
  // ranks with a mismatch are listed; the first mismatch stays this process's own.
  void agree_on_check() {
    CheckOutcome& c = res_.check;
    const std::vector<double> mism = world_.gather_over_ranks(double(c.mismatches));
    const std::vector<double> elems = world_.gather_over_ranks(double(c.elements_checked));
    const std::vector<double> expect = world_.gather_over_ranks(double(c.elements_expected));
    const std::vector<double> tens = world_.gather_over_ranks(double(c.tensors_checked));
    c = CheckOutcome{true, 0, 0, 0, 0, {}, c.first_mismatch};
    for (size_t r = 0; r < mism.size(); ++r) {
      c.mismatches += int64_t(mism[r]);
      c.elements_checked += int64_t(elems[r]);
      c.elements_expected += int64_t(expect[r]);
      c.tensors_checked += int(tens[r]);
      if (mism[r] > 0) c.failing_ranks.push_back(int(r));
    }
    c.ok = c.failing_ranks.empty();
  }

  // What each phase did, agreed over the world (the largest over the ranks), so a layout at an
  // offset, or a world larger than the bridge, reports what the bridge's ranks did and not what
  // rank 0 (maybe outside it) did. Strings travel as their index in a fixed vocabulary.
  void agree_on_work() {
    static const std::vector<std::string> kinds{"", "local", "collective"};
    static const std::vector<std::string> ops{"", "copy", "all_gather", "all_reduce", "all_to_all", "send_recv"};
    auto code = [](const std::vector<std::string>& v, const std::string& x) {
      const auto it = std::find(v.begin(), v.end(), x);
      if (it == v.end()) throw Error("internal_error", "phase work: unknown name '" + x + "'");
      return double(it - v.begin());
    };
    // One agreement for every phase's seven fields (a rank that did not enter a phase sends 0s).
    constexpr size_t kFields = 7;
    std::vector<double> all;
    for (const auto& w : res_.work) {
      const bool used = w.used;
      all.insert(all.end(), {used ? 1.0 : 0.0, used ? code(kinds, w.kind) : 0.0, used ? code(ops, w.op) : 0.0,
                             used ? double(w.group_size) : 0.0, used ? double(w.bytes) : 0.0,
                             used ? double(w.coll_bytes) : 0.0, used ? w.bus_factor : 0.0});
    }
    all = world_.max_over_ranks_each(std::move(all));
    for (size_t p = 0; p < res_.work.size(); ++p) {
      auto& w = res_.work[p];
      const double* a = &all[p * kFields];
      w.used = a[0] > 0;
      if (!w.used) continue;
      w.kind = kinds[size_t(a[1])];
      w.op = ops[size_t(a[2])];
      w.group_size = int(a[3]);
      w.bytes = int64_t(a[4]);
      w.coll_bytes = int64_t(a[5]);
      w.bus_factor = a[6];
    }
  }

  // Restores buffer set `it`'s outputs (a strategy may re-point them) and makes it current.
  RankBridge::Buffers& use_set(int it) {
    rb_->use_set(size_t(it));
    RankBridge::Buffers& B = rb_->buf();
    const auto& P = pristine_[size_t(it) % pristine_.size()];
    B.dest = P.dest; B.shard = P.shard; B.dest_grad = P.dest_grad; B.src_grad = P.src_grad;
    return B;
  }

  // Graph mode: each buffer set's round trip captured once (after the eager checked run has set
  // everything up); every iteration then replays one. Needs a stream-ordered backend.
  void capture(PhaseRecorder& rec) {
    const bool ok = world_.traits().captures_graphs && (!member_ || dev_.supports_graphs());
    if (world_.max_over_ranks(ok ? 0.0 : 1.0) > 0)
      throw Error("graph_unsupported", "graph mode needs the nccl backend on GPUs (the " + world_.backend() +
                                           " backend meets its peers on the host inside a collective)");
    if (opts_.cadence != Cadence::isolated)
      throw Error("graph_unsupported", "graph mode replays re-record one set of marks: it needs the isolated cadence");
    if (member_) {
      dev_.reset_marks();
      for (int k = 0; k < res_.buffer_sets; ++k) {
        use_set(k);
        dev_.begin_capture();
        rec.begin_iteration(/*reset_marks=*/false);
        strategy_.forward(*rb_);
        strategy_.backward(*rb_);
        rec.end_iteration();
        graphs_.push_back(dev_.end_capture());
        snaps_.push_back(rec.snapshot());
      }
    }
    world_.synchronize();
  }

  // The timed iterations through the shared loop (measure/timing_loop.hpp): per iteration the
  // round trip's total, each phase's GPU time and each phase's host launch time.
  void time() {
    refill_sets();
    // CUPTI attributes work to the phase pushed when it is launched; a graph launches all
    // phases at once, so graph mode reports no per-phase busy time.
    PhaseRecorder rec(dev_, true, opts_.nvtx, opts_.graph ? nullptr : opts_.cupti);
    rec.plan_delay(opts_.phase_delay);
    if (member_) rb_->set_recorder(&rec);
    if (opts_.graph) capture(rec);
    std::map<int, Kept> kept;
    LoopBody body = timed_body(rec, kept);
    if (opts_.phase_delay.on())
      body.before_measured = [&rec, this, then = body.before_measured] { rec.arm_delay(world_); if (then) then(); };
    const LoopOptions lo = loop_options();
    record_samples(run_timing_loop(world_, dev_, lo, body));
    res_.phase_delay_us = rec.delay_us();
    read_gpu_activity();
    detect_paths();
    // After the CUPTI read above, so the contended loop's records never count as idle ones.
    if (opts_.contention) time_contended(body, lo);
    if (member_) rb_->set_recorder(nullptr);
  }

  // Every buffer set back to its own outputs and freshly filled inputs (the checked run used set
  // 0 and the oracle's poison), then the world in step before the first timed iteration.
  void refill_sets() {
    if (member_)
      for (int k = 0; k < res_.buffer_sets; ++k) {
        rb_->sets()[size_t(k)] = pristine_[size_t(k)];
        fill_inputs(rb_->sets()[size_t(k)]);
      }
    world_.synchronize();
  }

  struct Kept {  // one iteration's marks, kept so streaming can read them after the batch
    PhaseRecorder::Snapshot marks;
    std::array<double, kPhaseCount> launch{};
  };

  // The round trip as the loop's body. A member enqueues forward + backward on the iteration's
  // buffer set (or replays that set's graph) and reads 1 + 2 x kPhaseCount values: the total,
  // each phase's GPU time, each phase's host launch time. Ranks outside the grid run nothing.
  LoopBody timed_body(PhaseRecorder& rec, std::map<int, Kept>& kept) {
    LoopBody body;
    body.values = 1 + 2 * kPhaseCount;
    if (member_) {
      body.enqueue = [this, &rec, &kept](int it, bool fresh) {
        if (opts_.graph) {
          dev_.replay(graphs_[size_t(it) % graphs_.size()]);
          kept[it] = {snaps_[size_t(it) % snaps_.size()], {}};
          return;
        }
        use_set(it);
        rec.begin_iteration(/*reset_marks=*/fresh);
        strategy_.forward(*rb_);
        strategy_.backward(*rb_);
        rec.end_iteration();
        kept[it] = {rec.snapshot(), rec.launch_ms()};
      };
      body.read = [&rec, &kept](int it) {
        const Kept k = kept.at(it);
        kept.erase(it);
        rec.restore(k.marks);
        std::vector<double> v{rec.total_ms()};
        const auto ph = rec.phase_ms();
        v.insert(v.end(), ph.begin(), ph.end());
        v.insert(v.end(), k.launch.begin(), k.launch.end());
        return v;
      };
    }
#ifdef BB_HAVE_CUDA
    if (opts_.cupti)
      body.before_measured = [this] {
        world_.barrier();
        if (rank_ == 0) opts_.cupti->take_busy_ms();  // drop warm-up records
        world_.barrier();
      };
#endif
    return body;
  }

  LoopOptions loop_options() const {
    LoopOptions lo;
    lo.cadence = opts_.cadence;
    lo.warmup = opts_.warmup;
    lo.warmup_ms = opts_.warmup_ms;
    lo.iterations = opts_.iterations;
    lo.delay_rank = opts_.delay_rank;
    lo.delay_ms = opts_.delay_ms;
    return lo;
  }

  // The loop's samples (already max over ranks) into the result, in timed_body's value order.
  void record_samples(const LoopSamples& ls) {
    res_.warmup_used = ls.warmup_used;
    res_.cadence = opts_.cadence;
    res_.gate_expiries = ls.gate_expiries;
    res_.total_ms = ls.values[0];
    for (int p = 0; p < kPhaseCount; ++p) {
      res_.phase_ms[size_t(p)] = ls.values[size_t(1 + p)];
      res_.phase_launch_ms[size_t(p)] = ls.values[size_t(1 + kPhaseCount + p)];
    }
    res_.launch_skew_ms = ls.launch_skew_ms;
    res_.launch_ms = ls.launch_ms;
  }

  // Per-phase GPU busy time and what ran per phase (the path detector's evidence), from the
  // CUPTI records of the measured iterations, which this consumes: rank 0 reads them for every
  // GPU of the process. -1 (not measured) without CUPTI and in graph mode.
  void read_gpu_activity() {
    res_.gpu_busy_ms.fill(-1.0);
#ifdef BB_HAVE_CUDA
    std::array<PhaseActivity, kPhaseCount> act{};
    const bool counted = opts_.cupti && !opts_.graph;
    if (counted) {
      world_.barrier();
      std::array<double, kPhaseCount> busy{};
      if (rank_ == 0) take_cupti_records(busy, act);
      std::vector<double> b(kPhaseCount, -1.0);
      if (rank_ == 0) b.assign(busy.begin(), busy.end());
      b = world_.max_over_ranks_each(std::move(b));
      for (int p = 0; p < kPhaseCount; ++p) res_.gpu_busy_ms[size_t(p)] = b[size_t(p)];
    }
    res_.activity_measured = counted;
    if (rank_ == 0) res_.activity = act;
#endif
  }

#ifdef BB_HAVE_CUDA
  // Rank 0: per phase the busiest GPU's time per iteration (the emulation's ranks share one GPU)
  // and the merged activity counts. Records of ids that are no phase are not the bridge's.
  void take_cupti_records(std::array<double, kPhaseCount>& busy, std::array<PhaseActivity, kPhaseCount>& act) {
    for (const auto& [key, ms] : opts_.cupti->take_busy_ms()) {
      if (key.first < 1 || key.first > uint64_t(kPhaseCount)) continue;
      busy[size_t(key.first - 1)] = std::max(busy[size_t(key.first - 1)], ms / opts_.iterations);
    }
    for (const auto& [key, a] : opts_.cupti->last_counts())
      if (key.first >= 1 && key.first <= uint64_t(kPhaseCount)) act[size_t(key.first - 1)].merge(a);
  }
#endif

  // Which NCCL path each collective phase took (comm/nccl_path.hpp), from the activity counts.
  void detect_paths() {
    for (int p = 0; p < kPhaseCount; ++p)
      if (res_.work[size_t(p)].used && res_.work[size_t(p)].kind == "collective")
        res_.path_used[size_t(p)] = detect_path_used(opts_.nccl_path, res_.activity[size_t(p)],
                                                     res_.work[size_t(p)].group_size, res_.path_registered,
                                                     res_.activity_measured);
  }

  // The same loop again with the load running beside every measured iteration on every rank,
  // after the load alone (same run, same clocks): the bridge's time under the load, and the
  // load's throughput during the bridge against alone.
  void time_contended(LoopBody body, const LoopOptions& lo) {
    ConcurrentLoad& load = *opts_.contention;
    world_.barrier();
    const LoadWindow alone = load.alone(opts_.load_alone_ms);
    world_.barrier();
    body.before_measured = [&] {
      world_.barrier();
      load.start();
    };
    LoopSamples ls;
    try {
      ls = run_timing_loop(world_, dev_, lo, body);
    } catch (...) {
      try {
        load.stop();
      } catch (...) {
      }
      throw;
    }
    const LoadWindow under = load.stop();
    res_.contended = true;
    res_.contended_total_ms = ls.values[0];
    for (int p = 0; p < kPhaseCount; ++p) res_.contended_phase_ms[size_t(p)] = ls.values[size_t(1 + p)];
    const double lost = alone.tflops > 0 ? under.window_ms * std::max(0.0, 1.0 - under.tflops / alone.tflops) : 0;
    res_.load_alone_tflops = -world_.max_over_ranks(-alone.tflops);
    res_.load_under_tflops = -world_.max_over_ranks(-under.tflops);
    res_.load_window_ms = world_.max_over_ranks(under.window_ms);
    res_.load_lost_ms_per_iter = world_.max_over_ranks(lost / std::max(1, opts_.iterations));
  }

  const Plan& plan_;
  const BridgeShape& shape_;
  const Strategy& strategy_;
  Device& dev_;
  const RunOptions& opts_;
  Comm& world_;
  const int rank_;
  const bool member_;
  std::unique_ptr<RankBridge> rb_;
  std::vector<DeviceBuffer> owned_;
  std::vector<Comm*> path_comms_;
  std::unique_ptr<BufferProvider> provider_;  // nullptr: default path, the Device allocates
  std::vector<void*> arenas_;
  std::vector<RankBridge::Buffers> pristine_;
  std::vector<int> graphs_;
  std::vector<PhaseRecorder::Snapshot> snaps_;
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
