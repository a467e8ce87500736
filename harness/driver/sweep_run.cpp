#include "driver/sweep_run.hpp"

#include <algorithm>

#include "comm/backend.hpp"
#include "comm/launch.hpp"
#include "comm/rendezvous.hpp"
#include "driver/interrupt.hpp"
#include "driver/paths.hpp"
#include "driver/request.hpp"
#include "model/attach.hpp"
#include "results/output_file.hpp"
#include "results/derive.hpp"
#include "results/records_json.hpp"
#include "results/repetitions.hpp"
#include "results/results.hpp"
#ifdef BB_HAVE_CUDA
#include "measure/gpu_activity.hpp"
#include "results/gpu_env.hpp"
#endif
#if __has_include("measure/nvtx.hpp")
#include "measure/nvtx.hpp"
#define BB_NVTX 1
#endif

namespace bb {

using json = nlohmann::ordered_json;

SweepRun::SweepRun(const BenchOptions& opt) : opt_(opt), env_(detect_launch()) {
  // A named backend's environment defaults go in before the first CUDA call (gpu_count's
  // cuInit): CUDA may read them there. "auto" learns its backend from that call; prepare()
  // sets them then, still before the first context.
  if (opt_.backend != "auto") backend_env_defaults(opt_.backend);
  backend_ = resolve_backend(opt_.backend);
  const bool gpu = backend_traits(backend_).gpu;
  check_backend(opt_, env_, backend_, gpu_count());
  SweepRequest req = build_sweep(opt_, env_, gpu);
  opt_.nccl_paths.clear();  // the flag's paths, or the sweep file's
  for (const auto& name : req.axes.values(axis_named("nccl_path"))) opt_.nccl_paths.push_back(parse_nccl_paths(name).at(0));
  check_bench_paths(opt_, backend_);
  for (const auto& n : req.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  world_ = req.world;
  check_world(env_, backend_, world_, gpu_count());
  check_flags_for_world(opt_, world_);
  points_ = make_points(req, skipped_);
  if (opt_.collectives) bares_ = bare_collectives(points_);
  // Bare collectives on the host backend. nccl-tests times back-to-back launches so a GPU's launch latency and event resolution do
  // not dominate a sample. A host collective runs synchronously on the rank's own thread,
  // timed by a nanosecond clock: its launches hide nothing, and ten per sample made the bare
  // collectives most of a host sweep's time. Recorded as launches_per_sample.
  // The same reason, and that the four ways interleave, give host bare collectives a quarter
  // of --iters per way (at least 5, at most --iters): their times are host copies, labelled so, and their check
  // is unchanged. Recorded as iterations_per_way.
  if (!backend_traits(backend_).gpu)
    for (auto& b : bares_) {
      b.spec.launches = 1;
      b.spec.iterations = std::min(opt_.iterations, std::max(5, opt_.iterations / 4));
    }
  else
    for (auto& b : bares_) b.spec.iterations = opt_.iterations;
  if (env_.rank == 0) {
    check_outputs(opt_);
    output_lock_ = std::make_unique<OutputLock>(opt_.json_out, "--json");  // held until written
  }
}

std::string SweepRun::name(size_t k) const {
  return (is_round_trip(k) ? "bridge/" : "coll/") + id_of(k);
}

std::string SweepRun::id_of(size_t k) const {
  return is_round_trip(k) ? points_[k].id() : bares_[k - points_.size()].id();
}

json SweepRun::key_of(size_t k) const {
  return is_round_trip(k) ? points_[k].key.json() : bares_[k - points_.size()].key.json();
}

Refusal SweepRun::refusal(size_t k, const std::string& rule, const std::string& message) const {
  return {id_of(k), key_of(k), rule, message};
}

void SweepRun::prepare() {
  floors_ = floors_for(backend_, world_);
#ifdef BB_HAVE_CUDA
  const BackendTraits& traits = backend_traits(backend_);
  if (traits.gpu) {
    backend_env_defaults(backend_);  // before the first CUDA context (gpu_warm_up makes it)
    gpu_warm_up(500);  // steady clocks before the first config and the copy roofline
    floors_.copy_GBps = gpu_copy_bandwidth_GBps(0);
    // Emulated ranks share one GPU's memory; NCCL ranks each have their own.
    if (traits.shares_memory) floors_.shared_copy_GBps = floors_.copy_GBps;
    l2_bytes_ = gpu_l2_bytes(0);
    if (opt_.cupti != CuptiMode::off) {
      std::string why;
      cupti_ = start_gpu_activity(&why);
      if (!cupti_) {
        if (opt_.cupti == CuptiMode::on) throw Error("cupti_unavailable", why);
        std::fprintf(stderr, "note: CUPTI per-phase GPU time off: %s\n", why.c_str());
      }
    }
  }
#endif
  std::fprintf(stderr,
               "bridge_bench: backend %s, world %d, %zu configs (%zu skipped) and %zu bare collectives, copy "
               "bandwidth %.0f GB/s\n",
               backend_.c_str(), world_, points_.size(), skipped_.size(), bares_.size(), floors_.copy_GBps);
}

void SweepRun::launch(const std::function<void()>& drive) {
  LaunchOptions lo;
  lo.backend = backend_;
  lo.world = world_;
  lo.timeout_s = opt_.timeout_s;
  progress_.begin();
  const bool links = backend_traits(backend_).over_links;
  bb::launch(lo, [&](Comm& world, Device& dev) {
    if (links) learn_links(world, true, opt_.link_GBps, links_, floors_);
    CommCache cache(world);
    ConfigAgreement agreement(world, interrupt_signal);
    if (world.rank() != 0) {
      const int sig = agreement.follow([&](int k) { run_any(size_t(k), world, dev, cache); });
      // A follower process of a launcher exits as rank 0 does (128 + the signal); threads of
      // rank 0's process leave it to rank 0.
      if (!writes_results()) stopped_by_ = sig;
    } else {
      world0_ = &world;
      dev0_ = &dev;
      cache0_ = &cache;
      drive();
      if (!stopped_by_) agreement.finish();  // after a stop every follower has returned already
      world0_ = nullptr;
    }
    // Collective: every rank reaches it, after a stop too (the followers have returned from follow).
    if (links) learn_links(world, false, opt_.link_GBps, links_, floors_);
  });
}

RunResult SweepRun::run_point(size_t k, Device& dev, CommCache& cache) {
  const Point& p = points_[k];
  RunOptions ro;
  ro.warmup = opt_.warmup;
  ro.iterations = opt_.iterations;
  ro.nvtx = true;
  apply_axes(p.key, ro);  // what each axis of the key asks of the run (config/axes.hpp)
  ro.delay_rank = opt_.delay_rank;
  ro.delay_ms = opt_.delay_ms;
  ro.delay_every = opt_.delay_every;
  ro.phase_delay = opt_.phase_delay;
  ro.cupti = cupti_.get();
  ro.l2_bytes = l2_bytes_;
  if (!opt_.dump_dir.empty()) ro.dump_dir = opt_.dump_dir + "/" + p.id();  // the id's '/' make the tree
  if (p.key.contention == Contention::gemm) ro.contention = rank_gemm_load(dev);  // needs the rank's device
#ifdef BB_NVTX
  nvtx::Scoped range(p.id());
#endif
  return run_round_trip(p.plan, p.key.shape, *p.strategy, cache, dev, ro);
}

BareResult SweepRun::run_bare(size_t j, Comm& world, Device& dev, CommCache& cache) {
  BareSpec spec = bares_[j].spec;
  spec.warmup = opt_.warmup;
  spec.cupti = cupti_.get();
  spec.delay_rank = opt_.delay_rank;
  spec.delay_ms = opt_.delay_ms;
  spec.delay_every = opt_.delay_every;
  return time_bare_collective(world, cache.get(spec.groups, nccl_cta_policy(spec.nccl_path)), dev, spec);
}

// --inject-fault: this rank fails at its turn, as a real peer would (an error, or never arriving).
bool SweepRun::fault_here(size_t k, int rank) {
  if (opt_.fault_kind.empty() || rank != opt_.fault_rank || int(k) + 1 != opt_.fault_config) return false;
  // A CommError, so that on rank 0 too it aborts the run as a real failing rank would (an Error
  // would be a failed config and the sweep would go on while the peers wait).
  if (opt_.fault_kind == "throw")
    throw CommError("injected_fault", "--inject-fault: world rank " + std::to_string(rank) + " fails at config " +
                                      std::to_string(k + 1) + " (" + name(k) + ")");
  std::fprintf(stderr, "bridge_bench: --inject-fault: world rank %d skips config %zu; its peers must time out\n", rank, k + 1);
  return true;
}

void SweepRun::run_any(size_t k, Comm& world, Device& dev, CommCache& cache) {
  if (fault_here(k, world.rank())) return;
  if (is_round_trip(k)) run_point(k, dev, cache);
  else run_bare(k - points_.size(), world, dev, cache);
}

Outcome SweepRun::run(size_t k) {
  const std::string id = id_of(k);
  if (!stopped_by_) stopped_by_ = ConfigAgreement(*world0_, interrupt_signal).announce(int(k));
  if (stopped_by_) {  // Google Benchmark goes on through the rest: each is skipped at once
    Outcome o;
    o.error = "not run: interrupted by " + signal_name(stopped_by_);
    return o;
  }
  progress_.start(kind(k), cost(k), id);
  try {
    fault_here(k, 0);
    if (is_round_trip(k)) return record_point(k, run_point(k, *dev0_, *cache0_));
    const size_t j = k - points_.size();
    return record_bare(j, run_bare(j, *world0_, *dev0_, *cache0_));
  } catch (const CommError&) {
    throw;  // a peer failed or a collective timed out: the run aborts
  } catch (const Error& e) {
    return refused(k, e);
  }
}

// A config refused before it ran (memory budget, too large) is a recorded skip and the sweep
// goes on; any other error of a config is a recorded failure.
Outcome SweepRun::refused(size_t k, const Error& e) {
  if (e.rule() != "out_of_memory_budget" && e.rule() != "out_of_memory" && e.rule() != "too_large")
    return failed(k, e.rule(), e.what());
  skipped_.push_back(refusal(k, e.rule(), e.what()));
  std::fprintf(stderr, "skip %s: %s: %s\n", id_of(k).c_str(), e.rule().c_str(), e.what());
  Outcome o;
  o.error = e.what();
  return o;
}

Outcome SweepRun::failed(size_t k, const std::string& rule, const std::string& message) {
  failures_.push_back(refusal(k, rule, message));
  Outcome o;
  o.error = message;
  return o;
}

Outcome SweepRun::record_point(size_t k, const RunResult& r) {
  const Point& p = points_[k];
  if (!r.check.ok)
    return failed(k, "oracle_mismatch",
                  "oracle mismatch on rank(s) " + ranks_str(r.check.failing_ranks) + ": " +
                      (r.check.first_mismatch.empty() ? "see stderr" : r.check.first_mismatch));
  require_complete_check(r.check);  // a config that checked nothing never passes
  ConfigRecord c = config_record(p.key, p.layout, p.plan, p.audit, *p.strategy, r, backend_, floors_);
  if (links_.learned) c.shared_gpu = links_.shared_gpu;
  if (opt_.phase_delay.on()) c.phase_delay_us = {r.phase_delay_us};  // one per repetition
  Outcome o;
  o.measured = true;
  o.median_ms = derive(c).total.median;
  configs_.keep(c);
  o.config = std::move(c);
  return o;
}

Outcome SweepRun::record_bare(size_t j, const BareResult& r) {
  const Bare& b = bares_[j];
  if (!r.ok) return failed(points_.size() + j, "oracle_mismatch", r.first_mismatch + " (#wrong " + std::to_string(r.wrong) + ")");
  CollectiveRecord c = collective_record(b, r, floors_);
  Outcome o;
  o.measured = true;
  o.median_ms = derive(c).time.median;
  collectives_.keep(c);
  o.collective = std::move(c);
  return o;
}

// --benchmark_repetitions: one record per config, every repetition's samples in it.
template <class Record>
void SweepRun::Kept<Record>::keep(const Record& r) {
  const auto it = at.find(r.id);
  if (it != at.end()) {
    append_repetition(records[it->second], r);
    return;
  }
  at[r.id] = records.size();
  records.push_back(r);
}

// What a run costs, for the eta (driver/progress.hpp EtaModel), from the flags, shapes and plans
// alone: the bytes one pass moves (a round trip: its source and destination tensors, per rank
// times the ranks, forward and backward: a fan-in's destination is `scale` times the source, a
// fan-out's 1/scale, which made a fan-out seed sweep 2-3x faster per source byte; a bare
// collective: its message times the ranks of its groups) times its passes
// (a round trip: the checked run, the warm-up, the iterations; a bare collective: the in-place
// and out-of-place checks, the warm-up and per iteration the three back-to-back ways plus the
// single launch).
double SweepRun::cost(size_t k) const {
  if (is_round_trip(k)) {
    const BridgeShape& sh = points_[k].key.shape;
    const Plan& p = points_[k].plan;
    const double src = double(sh.b) * double(sh.s) * double(sh.h) * double(dtype_size(sh.dtype)) * world_;
    const double dest = p.direction == Direction::fan_in ? p.scale : p.direction == Direction::fan_out ? 1.0 / p.scale : 1.0;
    return 2 * src * (1 + dest) * (1 + opt_.warmup + opt_.iterations);
  }
  const BareSpec& spec = bares_[k - points_.size()].spec;
  double ranks = 0;
  for (const auto& g : spec.groups) ranks += double(g.size());
  return double(spec.bytes) * ranks * (2 + opt_.warmup + spec.iterations * (3.0 * spec.launches + 1));
}

void SweepRun::plan_run(size_t k) { progress_.plan(kind(k), cost(k)); }

json SweepRun::results_json(const json& aborted) const {
  json out;
  out["schema"] = "bridgebench/results";
  out["schema_version"] = kSchemaVersion;
  json env = environment_json(backend_, opt_.command_line);
  env["copy_bandwidth_GBps"] = floors_.copy_GBps;
  env["shared_copy_bandwidth_GBps"] = floors_.shared_copy_GBps;
  env["cupti"] = {{"enabled", bool(cupti_)}, {"overhead_pct", nullptr}};
  env["world"] = world_;
  env["cadence"] = cadence_name(opt_.cadence);
  env["cpu_affinity_count"] = cpu_affinity_count();
  env["gemm_load_checks"] = gemm_load_json();
  env["nccl_path_env"] = path_env_json();
  env["transport"] = links_.to_json();
  if (opt_.delay_rank >= 0) env["injected_delay"] = {{"rank", opt_.delay_rank}, {"ms", opt_.delay_ms}, {"every", opt_.delay_every}};
  if (opt_.phase_delay.on())
    env["injected_phase_delay"] = {{"phase", phase_name(opt_.phase_delay.phase)}, {"pct", opt_.phase_delay.pct}};
  out["environment"] = env;
  out["phase_table"] = phase_table_json();
  const std::vector<ConfigFigures> figures = derive(configs_.records);
  out["configs"] = json::array();
  for (size_t i = 0; i < figures.size(); ++i) out["configs"].push_back(config_json(configs_.records[i], figures[i]));
  out["collectives"] = json::array();
  for (const auto& c : collectives_.records) out["collectives"].push_back(collective_json(c, derive(c)));
  out["failures"] = json::array();
  for (const auto& f : failures_) out["failures"].push_back(refusal_json(f, "error"));
  out["skipped"] = json::array();
  for (const auto& f : skipped_) out["skipped"].push_back(refusal_json(f, "reason"));
  out["aborted"] = aborted;
  attach_predictions(out);  // the cost model on this run's own bare collectives (issue 22)
  return out;
}

RunSummary SweepRun::summary(bool aborted) const {
  RunSummary s;
  s.configs = configs_.records;
  s.failures = failures_;
  s.skipped = skipped_.size();
  s.aborted = aborted;
  s.backend = backend_;
  s.cadence = opt_.cadence;
  if (opt_.phase_delay.on()) s.planted = planted_line(phase_name(opt_.phase_delay.phase), opt_.phase_delay.pct);
  if (links_.learned)
    s.transport = SummaryTransport{links_.observed.empty() ? links_.at_start : links_.observed, links_.verdict.warnings,
                                   links_.shared_gpu};
  return s;
}

}  // namespace bb
