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
#include "bench_paths.hpp"
#include "bridge/round_trip.hpp"
#include "comm/launch.hpp"
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

// The distinct collectives of the sweep's layouts and sizes, each with the phase it serves.
std::vector<Bare> bare_collectives(const std::vector<Point>& pts) {
  std::vector<Bare> out;
  std::set<std::string> seen;
  for (const auto& p : pts) {
    const auto& sh = p.pt.shape;
    const int64_t es = int64_t(bb::dtype_size(sh.dtype));
    const int64_t src = sh.b * sh.s * sh.h * es, dest = bb::dest_batch_for(p.plan, sh.b) * sh.s * sh.h * es;
    char size[96];
    std::snprintf(size, sizeof size, "%s/b%lld.s%lld.h%lld", bb::dtype_name(sh.dtype), (long long)sh.b,
                  (long long)sh.s, (long long)sh.h);
    auto add = [&](const char* op, const char* phase, const std::vector<std::vector<int>>& groups, int64_t bytes,
                   const char* strategies) {
      Bare b;
      b.id = p.pt.layout.name + "/" + size + "/" + op + "." + phase + bb::path_suffix(p.path);
      b.spec.nccl_path = p.path;
      if (!seen.insert(b.id).second) return;
      b.layout_name = p.pt.layout.name;
      b.phase = phase;
      b.strategies = strategies;
      b.spec.op = op;
      b.spec.groups = groups;
      b.spec.bytes = bytes;
      b.spec.dtype = sh.dtype;
      out.push_back(b);
    };
    if (p.plan.direction == bb::Direction::fan_in) add("all_gather", "fwd_comm", p.plan.gather_groups, src, "reference,fused");
    if (p.plan.direction == bb::Direction::fan_out) add("all_gather", "bwd_comm", p.plan.gather_groups, dest, "reference,fused");
    if (p.plan.dest_cp > 1) {
      add("all_reduce", "bwd_cp", p.plan.cp_groups, dest, "reference");
      add("all_gather", "bwd_cp", p.plan.cp_groups, dest / p.plan.dest_cp, "fused");
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
  // The same collective, one launch through the suite's phase recorder (NVTX, CUPTI, marks),
  // set against the nccl-tests time of the placement the bridge uses.
  const double ref = r.suite_in_place ? ip.median : s.median;
  c["suite_in_place"] = r.suite_in_place;
  c["suite_median_ms"] = su.median;
  c["suite_samples_ms"] = r.suite_ms;
  c["suite_overhead_pct"] = ref > 0 ? 100.0 * (su.median / ref - 1.0) : 0.0;
  c["launch_skew"] = {{"median_ms", bb::stats_of(r.launch_skew_ms).median}, {"max_ms", bb::stats_of(r.launch_skew_ms).max}};
  const double floor_ms = g->floors.collectives_over_links
                              ? double(r.bytes_per_rank) / (g->floors.link_GBps * 1e6)
                              : 2.0 * double(r.bytes_per_rank) * g->floors.ranks_per_memory / (g->floors.copy_GBps * 1e6);
  c["floor_basis"] = g->floors.collectives_over_links ? "nvlink" : "memcpy";
  c["floor_ms"] = floor_ms;
  c["floor_ratio"] = s.median > 0 ? floor_ms / s.median : 0;
  c["wrong"] = r.wrong;
  c["correct"] = r.wrong == 0;
  c["nccl_path"] = bb::nccl_path_name(b.spec.nccl_path);
  return c;
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
      g->skipped.push_back({{"id", "coll/" + b.id}, {"rule", e.rule()}, {"reason", e.what()}});
      st.SkipWithError(e.what());
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
      if (prev["id"] == b.id) {  // --benchmark_repetitions: keep the first samples, track the medians
        prev["repetition_medians_ms"].push_back(s.median);
        double lo = 1e300, hi = 0;
        for (const auto& v : prev["repetition_medians_ms"]) lo = std::min(lo, v.get<double>()), hi = std::max(hi, v.get<double>());
        prev["repetition_spread"] = lo > 0 ? hi / lo : 0.0;
        repeated = true;
      }
    if (!repeated) {
      c["repetition_medians_ms"] = json::array({s.median});
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
      g->failures.push_back({{"id", p.id()}, {"rule", e.rule()}, {"error", e.what()}});
      st.SkipWithError(e.what());
      break;
    }
    if (!r.check.ok) {
      std::string ranks;
      for (int fr : r.check.failing_ranks) ranks += (ranks.empty() ? "" : ",") + std::to_string(fr);
      std::string msg = "oracle mismatch on world rank(s) " + ranks + " (" + std::to_string(r.check.mismatches_total) +
                        " wrong elements): " + (r.check.first_mismatch.empty() ? "see stderr" : r.check.first_mismatch);
      g->failures.push_back({{"id", p.id()}, {"rule", "oracle_mismatch"}, {"error", msg}});
      st.SkipWithError(msg.c_str());
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
    st.counters["wrong"] = double(r.check.mismatches_total);
    st.counters["skew_ms"] = c["launch_skew"]["median_ms"].get<double>();
    auto it = g->configs.find(p.id());
    if (it == g->configs.end()) {
      c["repetition_medians_ms"] = json::array({med});
      g->configs[p.id()] = c;
      g->order.push_back(p.id());
    } else {  // --benchmark_repetitions: keep the first samples, track every repetition's median
      auto& reps = it->second["repetition_medians_ms"];
      reps.push_back(med);
      double lo = 1e300, hi = 0;
      for (const auto& v : reps) lo = std::min(lo, v.get<double>()), hi = std::max(hi, v.get<double>());
      it->second["repetition_spread"] = lo > 0 ? hi / lo : 0.0;
    }
  }
}


// Google Benchmark's filter semantics: a regex searched in the name; a leading '-' negates.
bool filter_matches(const std::string& name, const std::string& filter) {
  if (filter.empty() || filter == "all" || filter == ".") return true;
  const bool neg = filter[0] == '-';
  const bool hit = std::regex_search(name, std::regex(neg ? filter.substr(1) : filter));
  return neg ? !hit : hit;
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

// The stdout table: a view of the JSON. skew = host launch skew over the ranks (median / max
// per iteration), which the isolated cadence keeps out of the times.
void print_summary() {
  std::printf("\n%-60s %10s %10s %9s %9s %12s %8s %7s\n", "config", "median_ms", "min_ms", "skew_med", "skew_max",
              "bytes/rank", "floor%", "#wrong");
  for (const auto& id : g->order) {
    const auto& c = g->configs[id];
    std::printf("%-60s %10.3f %10.3f %9.3f %9.3f %12lld %7.1f%% %7lld\n", id.c_str(), c["total"]["median_ms"].get<double>(),
                c["total"]["min_ms"].get<double>(), c["launch_skew"]["median_ms"].get<double>(),
                c["launch_skew"]["max_ms"].get<double>(), (long long)c["bytes_per_rank"].get<int64_t>(),
                100.0 * c["floor_ratio"].get<double>(), (long long)c["check"]["mismatches"].get<int64_t>());
  }
  for (const auto& f : g->failures)
    std::printf("%-60s %10s %10s %9s %9s %12s %8s %7s  %s\n", f["id"].get<std::string>().c_str(), "-", "-", "-", "-", "-",
                "-", "FAIL", f["rule"].get<std::string>().c_str());
  std::printf("cadence: %s (times exclude the GPU alignment%s)\n", bb::cadence_name(g->opt.cadence),
              g->opt.cadence == bb::Cadence::isolated ? " and every host launch latency" : "; host launch gaps are in them");
}

}  // namespace

int main(int argc, char** argv) {
  bb::BenchOptions opt;
  try {
    opt = bb::parse_bench_options(&argc, argv);
  } catch (const bb::Error& e) {
    if (e.rule() == "help") {
      std::cout << bb::kBenchUsage;
      return 0;
    }
    std::cerr << "error: " << e.rule() << ": " << e.what() << "\n" << bb::kBenchUsage;
    return 2;
  }
  int reps = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--benchmark_repetitions=", 0) == 0) reps = std::max(1, std::atoi(a.c_str() + 24));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  Sweep sw;
  g = &sw;
  sw.opt = opt;
  try {
    sw.backend = bb::resolve_backend(opt.backend);
    bb::check_bench_paths(opt, sw.backend);
    const bool gpu = sw.backend != "host";
    if (bb::under_mpi()) {
      sw.world = bb::mpi_world_size();
    } else {
      if (opt.worlds.size() != 1) throw bb::Error("bad_flag", "one --world per run");
      sw.world = opt.worlds[0];
    }
    const bool file = opt.layouts.size() > 5 && opt.layouts.substr(opt.layouts.size() - 5) == ".json";
    bb::SweepAxes from_file;
    if (file) from_file = bb::load_sweep_file(opt.layouts);
    std::vector<bb::LayoutCase> layouts = file ? from_file.layouts : bb::layouts_from_arg(opt.layouts, sw.world);
    for (const auto& l : layouts)
      if (l.world != sw.world)
        throw bb::Error("world_mismatch", "layout '" + l.name + "' is for " + std::to_string(l.world) +
                                              " ranks but this run has " + std::to_string(sw.world) +
                                              " (set --world, or launch that many MPI processes)");
    bb::SweepAxes axes;
    axes.layouts = layouts;
    axes.shapes = bb::parse_shapes(!opt.shapes.empty() ? opt.shapes
                                   : gpu ? "1x1024x4096,2x4096x4096,4x8192x4096"
                                         : "2x256x1024,4x1024x1024");
    axes.mems = opt.mems;
    axes.dtypes = opt.dtypes;
    axes.strategies = opt.strategies;
    if (file) {  // the file's axes, unless a flag says otherwise
      if (!opt.given("--shapes")) axes.shapes = from_file.shapes;
      if (!opt.given("--mem")) axes.mems = from_file.mems;
      if (!opt.given("--dtypes")) axes.dtypes = from_file.dtypes;
      if (!opt.given("--strategies")) axes.strategies = from_file.strategies;
      if (!opt.given("--nccl-path")) {  // the file's paths: refused like the flag's
        opt.nccl_paths = sw.opt.nccl_paths = from_file.nccl_paths;
        bb::check_bench_paths(opt, sw.backend);
      }
    }
    for (auto& pt : bb::expand(axes)) {
      try {
        bb::Plan plan = pt.layout.plan();
        bb::check_shape(plan, pt.shape);
        bb::Audit audit = bb::audit_plan(plan, pt.shape.b);
        for (bb::NcclPath np : opt.nccl_paths) sw.points.push_back({pt, plan, audit, bb::make_strategy(pt.strategy), np});
      } catch (const bb::Error& e) {
        sw.skipped.push_back({{"id", pt.id()}, {"rule", e.rule()}, {"reason", e.what()}});
        std::fprintf(stderr, "skip %s: %s: %s\n", pt.id().c_str(), e.rule().c_str(), e.what());
      }
    }
    const std::string filter = benchmark::GetBenchmarkFilter();
    for (size_t i = 0; i < sw.points.size(); ++i) {
      const std::string name = bench_name(sw.points[i]);
      if (filter_matches(name, filter)) sw.total += reps;
      benchmark::RegisterBenchmark(name.c_str(), bench_point, int(i))
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
    if (opt.collectives) sw.bares = bare_collectives(sw.points);
    for (size_t j = 0; j < sw.bares.size(); ++j) {
      const std::string name = "coll/" + sw.bares[j].id;
      if (filter_matches(name, filter)) sw.total += reps;
      benchmark::RegisterBenchmark(name.c_str(), bench_bare, int(j))
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
    sw.floors.collectives_over_links = sw.backend == "nccl";
    sw.floors.ranks_per_memory = sw.backend == "nccl" ? 1 : sw.world;
#ifdef BB_HAVE_CUDA
    if (gpu) {
      bb::gpu_warm_up(500);  // steady clocks before the first config and the copy roofline
      sw.floors.copy_GBps = bb::gpu_copy_bandwidth_GBps(0);
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
    if (!gpu) {
      sw.floors.copy_GBps = bb::host_copy_bandwidth_GBps();
      sw.l2_bytes = 32ll << 20;
    }
    std::fprintf(stderr, "bridge_bench: backend %s, world %d, %zu configs (%zu skipped), copy bandwidth %.0f GB/s\n",
                 sw.backend.c_str(), sw.world, sw.points.size(), sw.skipped.size(), sw.floors.copy_GBps);
    sw.t0 = std::chrono::steady_clock::now();
    bb::LaunchOptions lo;
    lo.backend = sw.backend;
    lo.world = sw.world;
    lo.timeout_s = opt.timeout_s;
    bool rank0_here = false;
    bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
      if (world.rank() == 0) rank0_here = true;
      rank_main(world, dev);
    });
    benchmark::Shutdown();
    if (!rank0_here) return 0;  // MPI ranks > 0: rank 0 writes the results
    json out;
    out["schema"] = "bridgebench/results";
    out["schema_version"] = bb::kSchemaVersion;
    json env = bb::environment_json(sw.backend, opt.command_line);
    env["copy_bandwidth_GBps"] = sw.floors.copy_GBps;
    env["cupti"] = {{"enabled", bool(sw.cupti)}, {"overhead_pct", nullptr}};
    env["world"] = sw.world;
    env["cadence"] = bb::cadence_name(opt.cadence);
    env["cpu_affinity_count"] = bb::cpu_affinity_count();
    env["gemm_load_checks"] = bb::gemm_load_json();
    env["nccl_path_env"] = bb::path_env_json();
    if (opt.delay_rank >= 0) env["injected_delay"] = {{"rank", opt.delay_rank}, {"ms", opt.delay_ms}};
    out["environment"] = env;
    out["configs"] = json::array();
    for (const auto& id : sw.order) out["configs"].push_back(sw.configs[id]);
    out["collectives"] = sw.collectives;
    out["failures"] = sw.failures;
    out["skipped"] = sw.skipped;
    bb::write_json_atomic(opt.json_out, out);
    print_summary();
    std::printf("\nresults: %s (%zu configs, %zu failed, %zu skipped)\n", opt.json_out.c_str(), sw.order.size(),
                sw.failures.size(), sw.skipped.size());
    return sw.failures.empty() ? 0 : 1;
  } catch (const bb::Error& e) {
    std::cerr << "error: " << e.rule() << ": " << e.what() << "\n";
    return e.rule() == "bad_flag" || e.rule() == "bad_sweep_file" || e.rule() == "world_mismatch" ? 2 : 1;
  }
}
