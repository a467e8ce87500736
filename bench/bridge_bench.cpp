// bridge_bench: the bridge sweep as Google Benchmark benchmarks. Each benchmark is one config
// (layout x shape x memory layout x dtype x strategy): checked by the oracle first, then timed
// (manual time = median round trip, max over ranks). Rank 0 drives Google Benchmark; the other
// ranks (threads, or MPI processes) follow its choices over the world communicator. The results
// JSON (docs/results-schema.md) is the source of truth; the console table is a view of it.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "bench_options.hpp"
#include "gbench_output.hpp"
#include "bench_paths.hpp"
#include "bridge/round_trip.hpp"
#include "comm/backend.hpp"
#include "comm/launch.hpp"
#include "comm/rendezvous.hpp"
#include "measure/bare_collective.hpp"
#include "plan/audit.hpp"
#include "results/results.hpp"
#ifdef BB_HAVE_CUDA
#include "measure/gpu_activity.hpp"
#include "results/gpu_env.hpp"
#endif
#if __has_include("measure/nvtx.hpp")
#include "measure/nvtx.hpp"
#define BB_NVTX 1
#endif

namespace {

using json = nlohmann::ordered_json;

struct Point {
  bb::SweepPoint pt;
  bb::Plan plan;
  bb::Audit audit;
  std::unique_ptr<bb::Strategy> strategy;
  bb::NcclPath path = bb::NcclPath::default_path;
  std::string id() const { return pt.id() + bb::path_suffix(path); }  // config id, path included
};

// A bridge collective timed alone at a layout's group shape and message size.
struct Bare {
  std::string id, layout_name, phase, strategies;
  bb::BareSpec spec;
};

// State shared by the rank threads of this process and the benchmark callbacks (rank 0).
struct Sweep {
  bb::BenchOptions opt;
  std::string backend;
  int world = 0;
  std::vector<Point> points;
  std::vector<Bare> bares;
  json collectives = json::array();
  bb::Floors floors;
  int64_t l2_bytes = 50ll << 20;
  std::shared_ptr<bb::GpuActivity> cupti;
  // Rank 0's handles while its launch runs.
  bb::Comm* world0 = nullptr;
  bb::Device* dev0 = nullptr;
  bb::CommCache* cache0 = nullptr;
  // Results.
  std::map<std::string, json> configs;
  std::vector<std::string> order;
  json failures = json::array(), skipped = json::array();
  int done = 0, total = 0;
  std::chrono::steady_clock::time_point t0;
};

Sweep* g = nullptr;
void progress(const std::string& id);

bb::RunResult run_point(int idx, bb::Device& dev, bb::CommCache& cache) {
  const Point& p = g->points[size_t(idx)];
  bb::RunOptions ro;
  ro.warmup = g->opt.warmup;
  ro.iterations = g->opt.iterations;
  ro.nvtx = true;
  ro.graph = g->opt.mode == "graph";
  ro.cadence = g->opt.cadence;
  ro.delay_rank = g->opt.delay_rank;
  ro.delay_ms = g->opt.delay_ms;
  ro.cupti = g->cupti.get();
  ro.l2_bytes = g->l2_bytes;
  ro.nccl_path = p.path;
  for (bb::Contention c : g->opt.contentions)
    if (c == bb::Contention::gemm) ro.contention = bb::rank_gemm_load(dev);
#ifdef BB_NVTX
  bb::nvtx::Scoped range(p.id());
#endif
  return bb::run_round_trip(p.plan, p.pt.shape, *p.strategy, cache, dev, ro);
}

bb::BareResult run_bare(int j, bb::Comm& world, bb::Device& dev, bb::CommCache& cache) {
  const Bare& b = g->bares[size_t(j)];
  bb::BareSpec spec = b.spec;
  spec.warmup = g->opt.warmup;
  spec.iterations = g->opt.iterations;
  spec.cupti = g->cupti.get();
  spec.delay_rank = g->opt.delay_rank;
  spec.delay_ms = g->opt.delay_ms;
  for (int p = 0; p < bb::kPhaseCount; ++p)
    if (b.phase == bb::phase_name(bb::Phase(p))) spec.phase = bb::Phase(p);
  return bb::time_bare_collective(world, cache.get(spec.groups, bb::nccl_cta_policy(spec.nccl_path)), dev, spec);
}

// Runs config `id` (a sweep point, or a bare collective after the points) on this rank.
void run_any(int id, bb::Comm& world, bb::Device& dev, bb::CommCache& cache) {
  if (id < int(g->points.size())) run_point(id, dev, cache);
  else run_bare(id - int(g->points.size()), world, dev, cache);
}

// The distinct collectives the sweep's strategies declare (Strategy::collectives) at its layouts
// and sizes, each with the phase it serves and the strategies that call it.
std::vector<Bare> bare_collectives(const std::vector<Point>& pts) {
  std::vector<Bare> out;
  std::map<std::string, size_t> at;
  for (const auto& p : pts) {
    const auto& sh = p.pt.shape;
    char size[96];
    std::snprintf(size, sizeof size, "%s/b%lld.s%lld.h%lld", bb::dtype_name(sh.dtype), (long long)sh.b,
                  (long long)sh.s, (long long)sh.h);
    for (const auto& u : p.strategy->collectives(p.plan, sh)) {
      const char* op = bb::collective(u.op).name;
      Bare b;
      b.id = p.pt.layout.name + "/" + size + "/" + op + "." + bb::phase_name(u.phase) + bb::path_suffix(p.path);
      b.spec.nccl_path = p.path;
      auto it = at.find(b.id);
      if (it != at.end() && (out[it->second].spec.groups != u.groups || out[it->second].spec.bytes != u.msg_bytes)) {
        b.id += ".b" + std::to_string(u.msg_bytes);  // the same op in the same phase, another shape
        it = at.find(b.id);
      }
      if (it != at.end()) {
        std::string& names = out[it->second].strategies;
        if (("," + names + ",").find("," + p.pt.strategy + ",") == std::string::npos) names += "," + p.pt.strategy;
        continue;
      }
      b.layout_name = p.pt.layout.name;
      b.phase = bb::phase_name(u.phase);
      b.strategies = p.pt.strategy;
      b.spec.op = op;
      b.spec.groups = u.groups;
      b.spec.bytes = u.msg_bytes;
      b.spec.dtype = sh.dtype;
      at[b.id] = out.size();
      out.push_back(b);
    }
  }
  return out;
}

// One bare collective's JSON (docs/results-schema.md, Collective): the nccl-tests figures, and
// the same collective through the suite's recorder against the nccl-tests time of its placement.
json bare_json(const Bare& b, const bb::BareResult& r) {
  const bb::Stats s = bb::stats_of(r.ms), ip = bb::stats_of(r.in_place_ms), su = bb::stats_of(r.suite_ms);
  json c;
  c["id"] = b.id;
  c["layout_name"] = b.layout_name;
  c["phase"] = b.phase;
  c["strategies"] = b.strategies;
  c["op"] = b.spec.op;
  c["dtype"] = bb::dtype_name(b.spec.dtype);
  c["group_size"] = r.group_size;
  c["groups"] = b.spec.groups.size();
  c["bytes_per_rank"] = r.bytes_per_rank;
  c["coll_bytes"] = r.coll_bytes;
  c["method"] = "nccl-tests";
  c["launches_per_sample"] = b.spec.launches;
  c["median_ms"] = s.median;
  c["min_ms"] = s.min;
  c["max_ms"] = s.max;
  c["samples_ms"] = r.ms;
  c["in_place_median_ms"] = ip.median;
  c["in_place_samples_ms"] = r.in_place_ms;
  const double algbw = s.median > 0 ? double(r.coll_bytes) / (s.median * 1e6) : 0;
  const double algbw_ip = ip.median > 0 ? double(r.coll_bytes) / (ip.median * 1e6) : 0;
  c["algbw_GBps"] = algbw;
  c["busbw_GBps"] = algbw * r.bus_factor;
  c["in_place_algbw_GBps"] = algbw_ip;
  c["in_place_busbw_GBps"] = algbw_ip * r.bus_factor;
  // The same collective through the suite's phase recorder (NVTX, CUPTI, marks): the same
  // back-to-back loop (the harness's overhead), and one launch as a round trip's phase runs it,
  // each set against the nccl-tests time of the placement the bridge uses.
  const double ref = r.suite_in_place ? ip.median : s.median;
  c["suite_in_place"] = r.suite_in_place;
  c["suite_median_ms"] = su.median;
  c["suite_samples_ms"] = r.suite_ms;
  c["suite_overhead_pct"] = ref > 0 ? 100.0 * (su.median / ref - 1.0) : 0.0;
  const double one = bb::stats_of(r.single_ms).median;
  c["single_launch_median_ms"] = one;
  c["single_launch_samples_ms"] = r.single_ms;
  c["single_launch_over_pct"] = ref > 0 ? 100.0 * (one / ref - 1.0) : 0.0;
  c["launch_skew"] = {{"median_ms", bb::stats_of(r.launch_skew_ms).median}, {"max_ms", bb::stats_of(r.launch_skew_ms).max}};
  const bb::Floor fl = bb::phase_floor(g->floors, true, r.bytes_per_rank);
  const double floor_ms = fl.ms;
  c["floor_basis"] = fl.basis;
  c["floor_ms"] = floor_ms;
  c["floor_ratio"] = s.median > 0 ? floor_ms / s.median : 0;
  c["wrong"] = r.wrong;
  c["correct"] = r.wrong == 0;
  c["nccl_path"] = bb::nccl_path_name(b.spec.nccl_path);
  return c;
}

// A config refused before it ran (memory budget, too large) is a recorded skip and the sweep
// goes on; any other error of a config is a recorded failure.
void record_refusal(benchmark::State& st, const std::string& id, const bb::Error& e) {
  if (e.rule() == "out_of_memory_budget" || e.rule() == "out_of_memory" || e.rule() == "too_large") {
    g->skipped.push_back({{"id", id}, {"rule", e.rule()}, {"reason", e.what()}});
    std::fprintf(stderr, "skip %s: %s: %s\n", id.c_str(), e.rule().c_str(), e.what());
    st.SkipWithError(e.what());
    return;
  }
  g->failures.push_back({{"id", id}, {"rule", e.rule()}, {"error", e.what()}});
  st.SkipWithError(e.what());
}

void bench_bare(benchmark::State& st, int j) {
  const Bare& b = g->bares[size_t(j)];
  for (auto _ : st) {
    progress(b.id);
    g->world0->max_over_ranks(double(g->points.size() + size_t(j)));
    bb::BareResult r;
    try {
      r = run_bare(j, *g->world0, *g->dev0, *g->cache0);
    } catch (const bb::Error& e) {
      if (dynamic_cast<const bb::CommError*>(&e)) throw;
      record_refusal(st, b.id, e);
      break;
    }
    if (!r.ok) {
      g->failures.push_back({{"id", b.id}, {"rule", "oracle_mismatch"}, {"error", r.first_mismatch + " (#wrong " + std::to_string(r.wrong) + ")"}});
      st.SkipWithError(r.first_mismatch.c_str());
      break;
    }
    json c = bare_json(b, r);
    const bb::Stats s = bb::stats_of(r.ms);
    st.SetIterationTime(s.median / 1e3);
    st.counters["busbw_GBps"] = c["busbw_GBps"].get<double>();
    st.counters["suite_overhead_pct"] = c["suite_overhead_pct"].get<double>();
    st.counters["wrong"] = double(r.wrong);
    bool repeated = false;
    for (auto& prev : g->collectives)
      if (prev["id"] == b.id) {  // --benchmark_repetitions: every repetition's samples count
        bb::merge_repetition(prev, c, s.median);
        repeated = true;
      }
    if (!repeated) {
      c["repetition_medians_ms"] = json::array({s.median});
      c["repetitions"] = 1;
      g->collectives.push_back(c);
    }
  }
}

void progress(const std::string& id) {
  ++g->done;
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - g->t0).count();
  const double eta = g->done > 1 ? el / (g->done - 1) * (g->total - g->done + 1) : 0;
  std::fprintf(stderr, "[%d/%d] %s  (elapsed %.0fs, eta %.0fs)\n", g->done, g->total, id.c_str(), el, eta);
}

void bench_point(benchmark::State& st, int idx) {
  const Point& p = g->points[size_t(idx)];
  for (auto _ : st) {
    progress(p.id());
    g->world0->max_over_ranks(double(idx));  // tell the other ranks which config runs
    bb::RunResult r;
    try {
      r = run_point(idx, *g->dev0, *g->cache0);
    } catch (const bb::Error& e) {
      if (dynamic_cast<const bb::CommError*>(&e)) throw;
      record_refusal(st, p.id(), e);
      break;
    }
    if (!r.check.ok) {
      std::string msg = "oracle mismatch on rank(s) " + bb::ranks_str(r.check.failing_ranks) + ": " +
                        (r.check.first_mismatch.empty() ? "see stderr" : r.check.first_mismatch);
      g->failures.push_back({{"id", p.id()}, {"rule", "oracle_mismatch"}, {"error", msg}});
      st.SkipWithError(msg.c_str());
      break;
    }
    try {
      bb::require_complete_check(r.check);  // a config that checked nothing never passes
    } catch (const bb::Error& e) {
      record_refusal(st, p.id(), e);
      break;
    }
    json c = bb::config_json(p.pt, p.plan, p.audit, r, g->backend, g->opt.mode, r.warmup_used, g->floors);
    c["id"] = p.id();
    bb::add_path_json(c, r);
    const double med = c["total"]["median_ms"].get<double>();
    st.SetIterationTime(med / 1e3);
    st.counters["bytes_per_rank"] = double(c["bytes_per_rank"].get<int64_t>());
    st.counters["GBps"] = med > 0 ? double(c["bytes_per_rank"].get<int64_t>()) / (med * 1e6) : 0;
    st.counters["floor_ratio"] = c["floor_ratio"].get<double>();
    for (const auto& ph : c["phases"])
      if (ph["kind"] == "collective") {
        const std::string n = ph["name"].get<std::string>();
        st.counters[n + "_algbw"] = ph["algbw_GBps"].get<double>();
        st.counters[n + "_busbw"] = ph["busbw_GBps"].get<double>();
      }
    st.counters["wrong"] = double(r.check.mismatches);
    st.counters["skew_ms"] = c["launch_skew"]["median_ms"].get<double>();
    auto it = g->configs.find(p.id());
    if (it == g->configs.end()) {
      c["repetition_medians_ms"] = json::array({med});
      c["repetitions"] = 1;
      g->configs[p.id()] = c;
      g->order.push_back(p.id());
    } else {  // --benchmark_repetitions: every repetition's samples count
      bb::merge_repetition(it->second, c, med);
    }
  }
}


std::string bench_name(const Point& p) { return "bridge/" + p.id(); }

void rank_main(bb::Comm& world, bb::Device& dev) {
  bb::CommCache cache(world);
  if (world.rank() == 0) {
    g->world0 = &world;
    g->dev0 = &dev;
    g->cache0 = &cache;
    benchmark::RunSpecifiedBenchmarks();
    world.max_over_ranks(-1.0);  // done
    g->world0 = nullptr;
    return;
  }
  for (;;) {
    const double id = world.max_over_ranks(-2.0);
    if (id < 0) return;
    try {
      run_any(int(id), world, dev, cache);
    } catch (const bb::Error& e) {
      if (dynamic_cast<const bb::CommError*>(&e)) throw;  // rank 0 records config-level errors
    }
  }
}

// The stdout table, a view of the JSON: each config's time, host launch skew over the ranks
// (median / max per iteration; the isolated cadence keeps it out of the times), link bytes (max
// over ranks, from the strategy's byte model) against the per-rank minimum, ratio to its floor,
// speedup over `reference` on the same layout, shape, memory layout and dtype, and #wrong.
void print_summary(std::FILE* out) {
  auto base = [](const std::string& id) { return id.substr(0, id.rfind('/')); };
  std::map<std::string, double> ref_ms;
  for (const auto& id : g->order)
    if (g->configs[id]["strategy"] == "reference") ref_ms[base(id)] = g->configs[id]["total"]["median_ms"].get<double>();
  std::fprintf(out, "\n%-64s %10s %10s %9s %9s %12s %12s %8s %8s %7s\n", "config", "median_ms", "min_ms", "skew_med",
               "skew_max", "link B/rank", "min B/rank", "floor%", "vs ref", "#wrong");
  for (const auto& id : g->order) {
    const auto& c = g->configs[id];
    const double med = c["total"]["median_ms"].get<double>();
    const auto it = ref_ms.find(base(id));
    char speed[32] = "-";
    if (it != ref_ms.end() && med > 0) std::snprintf(speed, sizeof speed, "%.2fx", it->second / med);
    const auto& bm = c["byte_model"];
    std::fprintf(out, "%-64s %10.3f %10.3f %9.3f %9.3f %12lld %12lld %7.1f%% %8s %7lld\n", id.c_str(), med,
                 c["total"]["min_ms"].get<double>(), c["launch_skew"]["median_ms"].get<double>(),
                 c["launch_skew"]["max_ms"].get<double>(), (long long)bm["comm_bytes_per_rank"].get<int64_t>(),
                 (long long)bm["min_bytes_per_rank"].get<int64_t>(), 100.0 * c["floor_ratio"].get<double>(), speed,
                 (long long)c["check"]["mismatches"].get<int64_t>());
  }
  for (const auto& f : g->failures)
    std::fprintf(out, "%-64s %10s %10s %9s %9s %12s %12s %8s %8s %7s  %s\n", f["id"].get<std::string>().c_str(), "-", "-",
                 "-", "-", "-", "-", "-", "-", "FAIL", f["rule"].get<std::string>().c_str());
  const char* what = !bb::backend_traits(g->backend).gpu ? "host simulation: the ranks meet before every iteration; times are host work"
                     : g->opt.cadence == bb::Cadence::isolated
                         ? "times exclude the GPU alignment and every host launch latency"
                         : "times exclude the GPU alignment; host launch gaps are in them";
  std::fprintf(out, "cadence: %s (%s)\n", bb::cadence_name(g->opt.cadence), what);
}

// The results JSON from what the sweep measured so far; `aborted` says why it stopped early.
json results_json(const Sweep& sw, const std::string& command_line, const json& aborted) {
  json out;
  out["schema"] = "bridgebench/results";
  out["schema_version"] = bb::kSchemaVersion;
  json env = bb::environment_json(sw.backend, command_line);
  env["copy_bandwidth_GBps"] = sw.floors.copy_GBps;
  env["shared_copy_bandwidth_GBps"] = sw.floors.shared_copy_GBps;
  env["cupti"] = {{"enabled", bool(sw.cupti)}, {"overhead_pct", nullptr}};
  env["world"] = sw.world;
  env["cadence"] = bb::cadence_name(sw.opt.cadence);
  env["cpu_affinity_count"] = bb::cpu_affinity_count();
  env["gemm_load_checks"] = bb::gemm_load_json();
  env["nccl_path_env"] = bb::path_env_json();
  if (sw.opt.delay_rank >= 0) env["injected_delay"] = {{"rank", sw.opt.delay_rank}, {"ms", sw.opt.delay_ms}};
  out["environment"] = env;
  out["phase_table"] = bb::phase_table_json();
  out["configs"] = json::array();
  for (const auto& id : sw.order) out["configs"].push_back(sw.configs.at(id));
  out["collectives"] = sw.collectives;
  out["failures"] = sw.failures;
  out["skipped"] = sw.skipped;
  out["aborted"] = aborted;
  return out;
}

int bad_input(const bb::Error& e) {
  std::cerr << "error: " << e.rule() << ": " << e.what() << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bb::BenchOptions opt;
  bb::GbenchFlags gb;
  try {
    opt = bb::parse_bench_options(&argc, argv);
    gb = bb::inspect_gbench_flags(argc, argv);
  } catch (const bb::Error& e) {
    if (e.rule() == "help") {
      std::cout << bb::kBenchUsage;
      return 0;
    }
    std::cerr << "error: " << e.rule() << ": " << e.what() << "\n";
    if (e.rule() == "bad_flag") std::cerr << bb::kBenchUsage;  // a flag's spelling; not a size
    return 2;
  }
  std::FILE* summary = bb::summary_stream(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  Sweep sw;
  g = &sw;
  sw.opt = opt;
  const int reps = gb.repetitions;
  // 1. Validate everything before any config runs (docs/bad-input.md): every bad input exits 2.
  bb::LaunchEnv launch_env;
  std::string filter;
  try {
    filter = benchmark::GetBenchmarkFilter();
    bb::check_filter(filter);
    launch_env = bb::detect_launch();
    sw.backend = bb::resolve_backend(opt.backend);
    const bool gpu = bb::backend_traits(sw.backend).gpu;
    bb::check_backend(opt, launch_env, sw.backend, bb::gpu_count());
    bb::check_bench_paths(opt, sw.backend);
    bb::SweepRequest req = bb::build_sweep(opt, launch_env, gpu);
    // A sweep file's paths are refused like the flag's.
    sw.opt.nccl_paths = opt.nccl_paths = req.axes.nccl_paths;
    bb::check_bench_paths(opt, sw.backend);
    for (const auto& n : req.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    sw.world = req.world;
    bb::check_world(launch_env, sw.backend, sw.world, bb::gpu_count());
    for (auto& pt : bb::expand(req.axes)) {
      try {
        bb::Plan plan = pt.layout.plan();
        bb::check_shape(plan, pt.shape);
        bb::check_config_bytes(plan, pt.shape);
        bb::Audit audit = bb::audit_plan(plan, pt.shape.b);
        for (bb::NcclPath np : req.axes.nccl_paths) sw.points.push_back({pt, plan, audit, bb::make_strategy(pt.strategy), np});
      } catch (const bb::Error& e) {
        sw.skipped.push_back({{"id", pt.id()}, {"rule", e.rule()}, {"reason", e.what()}});
        std::fprintf(stderr, "skip %s: %s: %s\n", pt.id().c_str(), e.rule().c_str(), e.what());
      }
    }
    for (size_t i = 0; i < sw.points.size(); ++i) {
      const std::string name = bench_name(sw.points[i]);
      if (bb::filter_matches(name, filter)) sw.total += reps;
      benchmark::RegisterBenchmark(name.c_str(), bench_point, int(i))
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(bb::kBenchTimeUnit);
    }
    if (opt.collectives) sw.bares = bare_collectives(sw.points);
    for (size_t j = 0; j < sw.bares.size(); ++j) {
      const std::string name = "coll/" + sw.bares[j].id;
      if (bb::filter_matches(name, filter)) sw.total += reps;
      benchmark::RegisterBenchmark(name.c_str(), bench_bare, int(j))
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(bb::kBenchTimeUnit);
    }
    // Listing has no side effects: no launch, no measurement, no results file.
    if (gb.list_tests) {
      benchmark::RunSpecifiedBenchmarks();
      benchmark::Shutdown();
      return 0;
    }
    if (sw.total == 0)
      throw bb::Error("nothing_to_run", sw.points.empty()
                                            ? "every config was skipped (" + std::to_string(sw.skipped.size()) +
                                                  ", reasons above); " + opt.json_out + " is left as it was"
                                            : "--benchmark_filter='" + filter + "' matches none of the " +
                                                  std::to_string(sw.points.size() + sw.bares.size()) +
                                                  " benchmarks (see --benchmark_list_tests); " + opt.json_out +
                                                  " is left as it was");
    if (launch_env.rank == 0) bb::probe_output_path(opt.json_out, "--json");
  } catch (const bb::Error& e) {
    return bad_input(e);
  }
  // 2. Run. Whatever happens, what was measured is written.
  json aborted = nullptr;
  bool rank0_here = false;
  int code = 0;
  try {
    sw.floors = bb::floors_for(sw.backend, sw.world);
#ifdef BB_HAVE_CUDA
    if (bb::backend_traits(sw.backend).gpu) {
      bb::gpu_warm_up(500);  // steady clocks before the first config and the copy roofline
      sw.floors.copy_GBps = bb::gpu_copy_bandwidth_GBps(0);
      // Emulated ranks share one GPU's memory; NCCL ranks each have their own.
      if (bb::backend_traits(sw.backend).shares_memory) sw.floors.shared_copy_GBps = sw.floors.copy_GBps;
      sw.l2_bytes = bb::gpu_l2_bytes(0);
      if (opt.cupti != "off") {
        std::string why;
        sw.cupti = bb::start_gpu_activity(&why);
        if (!sw.cupti) {
          if (opt.cupti == "on") throw bb::Error("cupti_unavailable", why);
          std::fprintf(stderr, "note: CUPTI per-phase GPU time off: %s\n", why.c_str());
        }
      }
    }
#endif
    if (!bb::backend_traits(sw.backend).gpu) sw.l2_bytes = 32ll << 20;
    std::fprintf(stderr, "bridge_bench: backend %s, world %d, %zu configs (%zu skipped), copy bandwidth %.0f GB/s\n",
                 sw.backend.c_str(), sw.world, sw.points.size(), sw.skipped.size(), sw.floors.copy_GBps);
    sw.t0 = std::chrono::steady_clock::now();
    bb::LaunchOptions lo;
    lo.backend = sw.backend;
    lo.world = sw.world;
    lo.timeout_s = opt.timeout_s;
    bb::add_run_context(bb::environment_json(sw.backend, opt.command_line), sw.world);
    bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
      if (world.rank() == 0) rank0_here = true;
      rank_main(world, dev);
    });
  } catch (const std::exception& e) {
    const auto* be = dynamic_cast<const bb::Error*>(&e);
    aborted = {{"rule", be ? be->rule() : "internal_error"}, {"error", e.what()}};
    std::cerr << "error: " << aborted["rule"].get<std::string>() << ": " << e.what() << "\n";
    code = 1;
    rank0_here = rank0_here || launch_env.rank == 0;
  }
  benchmark::Shutdown();
  if (!rank0_here) return code;  // ranks > 0 of a multi-process launch: rank 0 writes the results
  try {
    bb::write_json_atomic(opt.json_out, results_json(sw, opt.command_line, aborted));
  } catch (const bb::Error& e) {
    std::cerr << "error: " << e.rule() << ": " << e.what() << "\n";
    return 1;
  }
  print_summary(summary);
  std::fprintf(summary, "\nresults: %s (%zu configs, %zu failed, %zu skipped%s)\n", opt.json_out.c_str(), sw.order.size(),
              sw.failures.size(), sw.skipped.size(), aborted.is_null() ? "" : ", run aborted");
  if (code == 0 && sw.order.empty() && sw.collectives.empty()) {
    // Every config was refused at run time (e.g. the memory budget): recorded, but not a pass.
    std::cerr << "error: nothing_measured: every config was skipped or failed; " << opt.json_out
              << " records why\n";
    return 1;
  }
  return code != 0 || !sw.failures.empty() ? 1 : 0;
}
