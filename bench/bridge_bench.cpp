// bridge_bench: the bridge sweep as Google Benchmark benchmarks. Each benchmark is one config
// (layout x shape x memory order x dtype x strategy, or a bare collective): checked by the
// oracle first, then timed (manual time = median round trip, max over ranks). The sweep itself
// is harness/driver (SweepRun); this file is the glue: registration, Google Benchmark's own
// filter and repetitions, counters, and where the results and the summary go. The counters, the
// results JSON (docs/results-schema.md) and the console table all read the sweep's records.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <iostream>

#include "core/checked.hpp"
#include "driver/interrupt.hpp"
#include "driver/options.hpp"
#include "driver/summary.hpp"
#include "driver/sweep_run.hpp"
#include "gbench_output.hpp"
#include "results/derive.hpp"
#include "results/results.hpp"

namespace {

using json = nlohmann::ordered_json;

// Reports nothing: the counting pass below goes through Google Benchmark's filter and
// repetitions without a line of output.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

// Counters for tools/compare.py and dashboards, from this run's record and its derived figures
// (results/derive.hpp): a round trip's or a bare collective's, as the sweep says it measured.
void set_counters(benchmark::State& st, const bb::Outcome& o) {
  if (o.collective) {
    const bb::CollectiveFigures f = bb::derive(*o.collective);
    st.counters["wrong"] = double(o.collective->wrong);
    st.counters["busbw_GBps"] = f.busbw_GBps;
    st.counters["suite_overhead_pct"] = f.suite_overhead_pct;
    return;
  }
  const bb::ConfigRecord& c = *o.config;
  const bb::ConfigFigures f = bb::derive(c);
  st.counters["wrong"] = double(c.check.mismatches);
  st.counters["bytes_per_rank"] = double(f.bytes_per_rank);
  st.counters["GBps"] = f.GBps;
  if (f.floor_ratio) st.counters["floor_ratio"] = *f.floor_ratio;  // none: no floor
  for (size_t i = 0; i < c.phases.size(); ++i)
    if (c.phases[i].collective()) {
      const std::string n = bb::phase_name(c.phases[i].phase);
      st.counters[n + "_algbw"] = f.phases[i].algbw_GBps;
      st.counters[n + "_busbw"] = f.phases[i].busbw_GBps;
    }
  st.counters["skew_ms"] = f.launch_skew.median;
}

// Registers one benchmark per config. While `counting`, a call only counts itself (Google
// Benchmark calls each matched config once per repetition), so the progress line knows the
// total before the first config runs, through Google Benchmark's own filter and repetitions.
void register_configs(bb::SweepRun& run, const bool& counting) {
  for (size_t k = 0; k < run.size(); ++k)
    benchmark::RegisterBenchmark(run.name(k).c_str(),
                                 [&run, &counting, k](benchmark::State& st) {
                                   for (auto _ : st) {
                                     if (counting) {
                                       run.plan_run(k);
                                       st.SkipWithError("counting pass: not measured");
                                       break;
                                     }
                                     const bb::Outcome o = run.run(k);
                                     if (!o.measured) {
                                       st.SkipWithError(o.error.c_str());
                                       break;
                                     }
                                     st.SetIterationTime(o.median_ms / 1e3);
                                     set_counters(st, o);
                                   }
                                 })
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(bb::kBenchTimeUnit);
}

int refuse(const bb::Error& e) {
  std::cerr << "error: " << e.rule() << ": " << bb::clip_long_words(e.what()) << "\n";
  if (e.rule() == "bad_flag") std::cerr << bb::bench_usage();
  return 2;
}

// Everything before the first config runs: the flags (ours, then Google Benchmark's), the
// sweep and its refusals, and the counting pass. Returns the configs' runs to come, or 0 after
// --benchmark_list_tests (listed, nothing run or written); throws Error on bad input.
int plan_runs(int* argc, char** argv, std::unique_ptr<bb::SweepRun>& run, const bool& counting) {
  const bb::BenchOptions opt = bb::parse_bench_options(argc, argv);
  bb::check_gbench_flags(*argc, argv);
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) throw bb::Error("bad_flag", "unrecognized arguments (above)");
  bb::check_filter(benchmark::GetBenchmarkFilter());
  run = std::make_unique<bb::SweepRun>(opt);
  if (run->size() == 0)
    throw bb::Error("nothing_to_run", "every config was skipped (" + std::to_string(run->skipped()) +
                                          ", reasons above); " + opt.json_out + " is left as it was");
  register_configs(*run, counting);
  SilentReporter silent;
  if (benchmark::RunSpecifiedBenchmarks(&silent) == 0)
    throw bb::Error("nothing_to_run", "--benchmark_filter='" + benchmark::GetBenchmarkFilter() + "' matches none of the " +
                                          std::to_string(run->size()) + " benchmarks (see --benchmark_list_tests); " +
                                          opt.json_out + " is left as it was");
  return run->planned_runs();
}

// Runs the sweep; whatever happens, what was measured is written (rank 0's process). The exit
// code: 0 all measured and correct, 1 a failure, an abort, or nothing measured, 128 + the
// signal after SIGINT/SIGTERM (130, 143: what measured before it is written).
int run_and_write(bb::SweepRun& run, std::FILE* summary) {
  json aborted = nullptr;
  bb::catch_interrupts();
  try {
    run.prepare();
    // Debian's libbenchmark is built without NDEBUG, so Google Benchmark prints "Library was
    // built as DEBUG. Timings may be affected." It concerns its own clock, which no figure here
    // uses: say so once, before it.
    std::fprintf(stderr, "note: if Google Benchmark warns \"Library was built as DEBUG\" (Debian's package), that is "
                         "about its own timing, which these results do not use: every config is timed by "
                         "bridge_bench's own clocks and handed over as manual time\n");
    bb::add_run_context(bb::environment_json(run.backend(), run.options().command_line), run.world());
    run.launch([] { benchmark::RunSpecifiedBenchmarks(); });
  } catch (const std::exception& e) {
    const auto* be = dynamic_cast<const bb::Error*>(&e);
    aborted = {{"rule", be ? be->rule() : "internal_error"}, {"error", e.what()}};
    std::cerr << "error: " << aborted["rule"].get<std::string>() << ": " << e.what() << "\n";
  }
  benchmark::Shutdown();
  if (const int sig = run.interrupted_by(); sig && aborted.is_null()) {
    const std::string name = bb::signal_name(sig);
    aborted = {{"rule", "interrupted"},
               {"signal", name},
               {"error", "interrupted by " + name + " after " + std::to_string(run.measured()) +
                             " measured (configs and bare collectives, repetitions merged); the rest did not run" +
                             (run.writes_results() ? "" : " (rank 0's process writes the results)")}};
    std::cerr << "error: interrupted: " << aborted["error"].get<std::string>() << "\n";
  }
  const bool interrupted = !aborted.is_null() && aborted.contains("signal");
  const int exit_code = interrupted ? 128 + run.interrupted_by() : 1;
  if (!run.writes_results()) return aborted.is_null() ? 0 : exit_code;
  const json results = run.results_json(aborted);
  try {
    bb::write_json_atomic(run.options().json_out, results);
  } catch (const bb::Error& e) {
    std::cerr << "error: " << e.rule() << ": " << e.what() << "\n";
    return 1;
  }
  bb::print_summary(summary, run.summary(!aborted.is_null()), run.options().json_out.c_str());
  if (!aborted.is_null()) return exit_code;
  if (run.measured() == 0) {
    // Every config was refused at run time (e.g. the memory budget): recorded, but not a pass.
    std::cerr << "error: nothing_measured: every config was skipped or failed; " << run.options().json_out
              << " records why\n";
    return 1;
  }
  return run.failed() > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::FILE* summary = bb::summary_stream(argc, argv);  // before Initialize takes its flags out
  std::unique_ptr<bb::SweepRun> run;
  bool counting = true;
  try {
    if (plan_runs(&argc, argv, run, counting) == 0) return 0;
  } catch (const bb::Error& e) {
    if (e.rule() != "help") return refuse(e);
    std::cout << bb::bench_usage();
    return 0;
  }
  counting = false;
  return run_and_write(*run, summary);
}
