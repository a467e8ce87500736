// Issue 12: every bad input a new user tried, one test each, through the bridge_bench binary
// (exit code and the `error: <rule>:` line). Each runs in a temp dir it removes.
// docs/bad-input.md lists the same cases with their rules.
#include <gtest/gtest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "bridge/strategy.hpp"
#include "comm/launch.hpp"

namespace {

using bbtest::Run;
using bbtest::TempDir;

// A small, fast host run: one layout, one shape, one strategy, no bare collectives.
const std::string kSmall = " --backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x64x32 "
                           "--strategies=fused --collectives=off --iters=1 --warmup=0";

Run bench(const TempDir& d, const std::string& args, const std::string& env = "") {
  return bbtest::run_in(d, (env.empty() ? "" : "env " + env + " ") + std::string(BB_BENCH_CLI) + " " + args);
}

// An error line for `rule`, and nothing ran (no "[config 1/N]" progress line).
void expect_refused(const Run& r, const std::string& rule, const std::string& words = "") {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("error: " + rule + ": " + words), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("[config 1/"), std::string::npos) << "a config ran before the refusal:\n" << r.err;
  EXPECT_EQ(r.err.find("[collective 1/"), std::string::npos) << "a collective ran before the refusal:\n" << r.err;
}

nlohmann::json results(const TempDir& d, const std::string& name = "o.json") {
  return nlohmann::json::parse(d.read(name));
}

const char* kOld = "{\"old\": true}\n";

// --- silent wrong results ---------------------------------------------------------------

TEST(BadInput, ShapeProductOverflowIsTooLarge) {
  TempDir d;
  auto r = bench(d, "--backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x4294967296x4294967296 --json o.json");
  expect_refused(r, "too_large", "shape 2x4294967296x4294967296");
  EXPECT_FALSE(d.exists("o.json"));
}

TEST(BadInput, ShapeBeyond64BitsIsTooLargeNotACrash) {
  TempDir d;
  expect_refused(bench(d, "--backend=host --shapes=2x1099511627776x1099511627776 --json o.json"), "too_large");
}

TEST(BadInput, HugeBatchIsTooLargeAtOnce) {
  TempDir d;
  const auto t0 = std::chrono::steady_clock::now();
  expect_refused(bench(d, "--backend=host --shapes=4611686018427387904x2x2 --json o.json"), "too_large");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
}

TEST(BadInput, LayoutAtAnOffsetIsNeverAnUncheckedPass) {
  TempDir d;
  d.write("off.json", R"({"world": 12, "layouts": [{"src": {"tp": 2, "dp": 4}, "dest": {"tp": 2, "cp": 2, "dp": 2},
      "offset": 4}], "shapes": [{"b": 2, "s": 64, "h": 32}], "strategies": ["reference"], "memory_layouts": ["bsh"]})");
  auto r = bench(d, "--layouts=off.json --world=12 --backend=host --collectives=off --iters=1 --warmup=0 --json o.json");
  ASSERT_TRUE(r.code == 0 || r.code == 1) << r.err;
  auto j = results(d);
  // Rank 0 is outside the bridge: a pass must carry the bridge's own checks and phases.
  for (const auto& c : j["configs"]) {
    EXPECT_TRUE(c["correct"].get<bool>());
    EXPECT_GT(c["check"]["elements_checked"].get<int64_t>(), 0) << c["id"];
    EXPECT_FALSE(c["phases"].empty()) << c["id"];
    EXPECT_GT(c["bytes_per_rank"].get<int64_t>(), 0) << c["id"];
  }
  for (const auto& f : j["failures"]) EXPECT_EQ(f["rule"], "incomplete_check") << f;
  EXPECT_EQ(j["configs"].size() + j["failures"].size(), 1u);
}

TEST(BadInput, SweepFileWorldBeyond32BitsIsTooLarge) {
  TempDir d;
  d.write("w.json", R"({"world": 4294967304, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 32}]})");
  expect_refused(bench(d, "--backend=host --layouts=w.json --json o.json"), "bad_sweep_file");
  EXPECT_NE(bench(d, "--backend=host --layouts=w.json").err.find("$.world: too_large: 4294967304"), std::string::npos);
}

TEST(BadInput, WorldFlagBeyond32BitsIsTooLarge) {
  TempDir d;
  expect_refused(bench(d, "--backend=host --world=4294967304"), "too_large", "--world is 4294967304");
}

TEST(BadInput, DuplicateStrategiesRunOnceAndSaySo) {
  TempDir d;
  auto r = bench(d, kSmall + " --strategies=fused,fused --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: strategies lists fused 2 times; it runs once"), std::string::npos) << r.err;
  auto j = results(d);
  ASSERT_EQ(j["configs"].size(), 1u);
  EXPECT_EQ(j["configs"][0]["repetition_medians_ms"].size(), 1u) << "the duplicate counted as a repetition";
  EXPECT_EQ(d.entries(), 1u) << "the output probe or the atomic write left a file behind";
}

// --- crashes and blow-ups -----------------------------------------------------------------

TEST(BadInput, DestBytesOverflowSkipsOnlyThatConfig) {
  TempDir d;
  // 2^60 x 1 x 1 passes the shape check (x4 bytes fits), but fan-in doubles the dest batch:
  // 2^62 bytes, and one rank's buffers (16 x that) do not fit in 64 bits.
  auto r = bench(d, "--backend=host --layouts=seed_fan_in_cp1 --mem=bsh --strategies=fused "
                    "--shapes=1152921504606846976x1x1,2x64x32 --collectives=off --iters=1 --warmup=0 --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("skip seed_fan_in_cp1/bsh/bf16/b1152921504606846976.s1.h1/fused: too_large: "), std::string::npos)
      << r.err;
  auto j = results(d);
  EXPECT_EQ(j["configs"].size(), 1u);
  ASSERT_EQ(j["skipped"].size(), 1u);
  EXPECT_EQ(j["skipped"][0]["rule"], "too_large");
}

TEST(BadInput, BadFilterRegexIsBadFlag) {
  TempDir d;
  d.write("o.json", kOld);
  expect_refused(bench(d, kSmall + " --benchmark_filter='(' --json o.json"), "bad_flag", "--benchmark_filter='('");
  EXPECT_EQ(d.read("o.json"), kOld);
}

TEST(BadInput, HugeWorldSweepIsCountedAndRefused) {
  TempDir d;
  expect_refused(bench(d, "--backend=host --layouts=all --world=100000 --json o.json"), "too_many_configs");
}

TEST(BadInput, MaxConfigsSetsTheCap) {
  TempDir d;
  expect_refused(bench(d, "--backend=host --layouts=all --max-configs=5 --json o.json"), "too_many_configs",
                 "the sweep has ");
  expect_refused(bench(d, "--backend=host --max-configs=0"), "bad_flag");
}

TEST(BadInput, SweepFileOfIdenticalLayoutsIsDeduped) {
  TempDir d;
  std::string layouts;
  for (int i = 0; i < 100000; ++i) layouts += std::string(i ? "," : "") + "{\"src\": {\"tp\": 2, \"dp\": 4}, \"dest\": {\"tp\": 4, \"dp\": 2}}";
  d.write("many.json", "{\"layouts\": [" + layouts + "], \"shapes\": [{\"b\": 2, \"s\": 64, \"h\": 32}], "
                       "\"strategies\": [\"fused\"], \"memory_layouts\": [\"bsh\"]}");
  auto r = bench(d, "--backend=host --layouts=many.json --collectives=off --iters=1 --warmup=0 --json o.json");
  ASSERT_EQ(r.code, 0) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("100000 times; it runs once"), std::string::npos) << r.err.substr(0, 2000);
  EXPECT_EQ(results(d)["configs"].size(), 1u);
}

// --- lost or stale results ------------------------------------------------------------------

TEST(BadInput, MissingOutputDirectoryIsRefusedUpFront) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --json " + d.file("no/such/dir/x.json")), "bad_output", "--json=");
  EXPECT_FALSE(d.exists("no"));
}

TEST(BadInput, UnwritableOutputIsRefusedUpFront) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --json /proc/bb_results.json"), "bad_output", "--json=/proc/bb_results.json");
  expect_refused(bench(d, kSmall + " --json " + d.path()), "bad_output");  // a directory
}

TEST(BadInput, ConfigsOverTheMemoryBudgetAreRecordedSkips) {
  TempDir d;
  auto r = bench(d, "--backend=host --layouts=seed_fan_in_cp1 --mem=bsh --strategies=fused --shapes=100000x100000x100000 "
                    "--iters=1 --warmup=0 --json o.json");
  ASSERT_NE(r.code, -1) << "crashed:\n" << r.err;
  ASSERT_TRUE(d.exists("o.json")) << "the refusals must be recorded:\n" << r.err;
  auto j = results(d);
  ASSERT_FALSE(j["skipped"].empty()) << j.dump(1);
  EXPECT_EQ(j["skipped"][0]["rule"], "out_of_memory_budget");
  EXPECT_TRUE(j["configs"].empty());
  EXPECT_EQ(r.code, 1) << "nothing was measured: not a pass";
}

TEST(BadInput, FilterMatchingNothingLeavesTheResultsFileAlone) {
  TempDir d;
  d.write("o.json", kOld);
  expect_refused(bench(d, kSmall + " --benchmark_filter=nomatch --json o.json"), "nothing_to_run");
  EXPECT_EQ(d.read("o.json"), kOld);
}

TEST(BadInput, EmptyLayoutsIsBadFlag) {
  TempDir d;
  d.write("o.json", kOld);
  expect_refused(bench(d, "--backend=host --layouts= --json o.json"), "bad_flag", "--layouts is empty");
  EXPECT_EQ(d.read("o.json"), kOld);
}

TEST(BadInput, ListingTestsHasNoSideEffects) {
  TempDir d;
  d.write("o.json", kOld);
  auto r = bench(d, kSmall + " --benchmark_list_tests --json o.json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("bridge/seed_fan_in_cp1/bsh/bf16/b2.s64.h32/fused"), std::string::npos) << r.out;
  EXPECT_EQ(d.read("o.json"), kOld);
  EXPECT_EQ(d.entries(), 1u) << "listing wrote files";
}

TEST(BadInput, HelpHasNoSideEffects) {
  TempDir d;
  auto r = bench(d, "--help --json o.json");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: bridge_bench"), std::string::npos);
  // Every registered strategy is listed with what it does: what --strategies= accepts.
  for (const auto& n : bb::strategy_names()) EXPECT_NE(r.out.find("\n  " + n + " "), std::string::npos) << n << "\n" << r.out;
  EXPECT_EQ(d.entries(), 0u);
}

// The progress line counts what Google Benchmark will run: its filter and its repetitions,
// through its own matching (not a copy of it), so [k/N] ends at N.
TEST(Progress, CountsTheFilteredRepetitions) {
  TempDir d;
  auto r = bench(d, kSmall + " --strategies=reference,fused --collectives=off --benchmark_filter=/fused "
                             "--benchmark_repetitions=3 --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("[config 3/3] seed_fan_in_cp1/bsh/bf16/b2.s64.h32/fused"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("reference  (elapsed"), std::string::npos) << "the filter let reference run:\n" << r.err;
  auto j = results(d);
  ASSERT_EQ(j["configs"].size(), 1u);
  EXPECT_EQ(j["configs"][0]["repetitions"], 3);
}

TEST(BadInput, NegativeRepetitionsIsBadFlag) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --benchmark_repetitions=-1"), "bad_flag", "--benchmark_repetitions needs an integer >= 1");
  expect_refused(bench(d, kSmall + " --benchmark_repetitions=100000"), "too_large");
}

TEST(BadInput, UnknownKeyInASweepShapeIsReported) {
  TempDir d;
  d.write("s.json", R"({"layouts": ["seed_fan_in_cp1"], "shapes": [{"b": 2, "s": 64, "h": 32, "batch": 4}]})");
  auto r = bench(d, "--backend=host --layouts=s.json");
  expect_refused(r, "bad_sweep_file");
  EXPECT_NE(r.err.find("$.shapes[0].batch: unknown key"), std::string::npos) << r.err;
}

TEST(BadInput, DuplicateShapesRunOnceAndSaySo) {
  TempDir d;
  auto r = bench(d, kSmall + " --shapes=2x64x32,2x64x32 --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: shapes lists 2x64x32 2 times; it runs once"), std::string::npos) << r.err;
  EXPECT_EQ(results(d)["configs"].size(), 1u);
}

TEST(BadInput, EverySkippedConfigIsNothingToRun) {
  TempDir d;
  d.write("o.json", kOld);
  // Fan-out by 2 needs an even src batch: the only config is skipped.
  auto r = bench(d, "--backend=host --layouts=seed_fan_out_cp2 --mem=bsh --strategies=fused --shapes=3x64x32 --json o.json");
  expect_refused(r, "nothing_to_run", "every config was skipped");
  EXPECT_NE(r.err.find("batch_not_divisible"), std::string::npos) << r.err;
  EXPECT_EQ(d.read("o.json"), kOld);
}

// --- misleading or missing ------------------------------------------------------------------

TEST(BadInput, GpuBackendsWithoutAGpuAreNoGpu) {
  if (bb::gpu_count() > 0) GTEST_SKIP() << "a GPU is present";
  TempDir d;
  expect_refused(bench(d, "--backend=nccl --json o.json"), "no_gpu");
  expect_refused(bench(d, "--backend=emulate --json o.json"), "no_gpu");
}

TEST(BadInput, GraphModeOnHostIsRefusedUpFront) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --mode=graph --json o.json"), "graph_unsupported", "--mode=graph needs --backend=nccl");
}

TEST(BadInput, CuptiOnWithHostIsRefused) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --cupti=on --json o.json"), "cupti_unavailable");
}

TEST(BadInput, WorldListIsNotAdvertisedAndRefused) {
  TempDir d;
  expect_refused(bench(d, "--backend=host --world=8,16"), "bad_flag", "--world takes one size per run");
  EXPECT_EQ(bench(d, "--help").out.find("8[,16]"), std::string::npos);
}

TEST(BadInput, SweepFileWorldSetsTheRunsWorld) {
  TempDir d;
  d.write("w12.json", R"({"world": 12, "layouts": [{"src": {"tp": 2, "dp": 6}, "dest": {"tp": 4, "dp": 3}}],
      "shapes": [{"b": 2, "s": 64, "h": 32}], "strategies": ["fused"], "memory_layouts": ["bsh"]})");
  auto r = bench(d, "--backend=host --layouts=w12.json --collectives=off --iters=1 --warmup=0 --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(results(d)["environment"]["world"], 12);
  expect_refused(bench(d, "--backend=host --layouts=w12.json --world=8"), "world_mismatch");
}

TEST(BadInput, HostBackendUnderMpiIsRefused) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --json o.json", "OMPI_COMM_WORLD_SIZE=8 OMPI_COMM_WORLD_RANK=0"), "bad_launch",
                 "--backend=host runs all ranks as threads");
  expect_refused(bench(d, kSmall, "SLURM_STEP_NUM_TASKS=4 SLURM_PROCID=1 SLURM_LOCALID=1"), "bad_launch");
  expect_refused(bench(d, kSmall, "WORLD_SIZE=2 RANK=1 LOCAL_RANK=1"), "bad_launch");
  EXPECT_FALSE(d.exists("o.json"));
}

TEST(BadInput, ResultsRecordLaunchEnvironmentAndBuild) {
  TempDir d;
  auto r = bench(d, kSmall + " --json o.json", "NCCL_DEBUG=WARN CUDA_VISIBLE_DEVICES=");
  ASSERT_EQ(r.code, 0) << r.err;
  auto env = results(d)["environment"];
  EXPECT_EQ(env["launch"]["mode"], "single");
  ASSERT_EQ(env["launch"]["ranks"].size(), 8u);
  EXPECT_EQ(env["launch"]["ranks"][7]["rank"], 7);
  EXPECT_FALSE(env["launch"]["ranks"][7]["host"].get<std::string>().empty());
  EXPECT_EQ(env["env"]["NCCL_DEBUG"], "WARN");
  EXPECT_EQ(env["env"]["CUDA_VISIBLE_DEVICES"], "");
  EXPECT_TRUE(env["env_set_by_suite"].is_object());
  EXPECT_TRUE(results(d)["aborted"].is_null());
  EXPECT_EQ(env["git_commit"], env["build"]["commit"]);
  EXPECT_EQ(env["build"]["build_type"], BB_BUILD_TYPE);
  EXPECT_FALSE(env["build"]["cxx_compiler"].get<std::string>().empty());
}

TEST(BadInput, BenchFlagValuesAreRangeChecked) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --iters=99999999999"), "too_large", "--iters is 99999999999");
  expect_refused(bench(d, kSmall + " --iters=0"), "bad_flag");
}

}  // namespace

// --- issue 20 ---------------------------------------------------------------------------

// Progress names round trips and bare collectives apart, each with its own count, under a
// header that gives both.
TEST(Progress, ConfigsAndCollectivesAreCountedApart) {
  TempDir d;
  auto r = bench(d, "--backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x64x32 --strategies=fused "
                    "--iters=1 --warmup=0 --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = results(d);
  const size_t configs = j["configs"].size(), colls = j["collectives"].size();
  ASSERT_GE(colls, 1u);
  EXPECT_NE(r.err.find(std::to_string(configs) + " configs (0 skipped) and " + std::to_string(colls) + " bare collectives"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[config 1/" + std::to_string(configs) + "] "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[collective " + std::to_string(colls) + "/" + std::to_string(colls) + "] "), std::string::npos) << r.err;
  EXPECT_EQ(j["collectives"][0]["launches_per_sample"], 1) << "host collectives run synchronously: one launch a sample";
}

// B32: a delay for a rank the world does not have delayed nothing and was recorded.
TEST(BadInput, InjectDelayRankOutsideTheWorldIsRefused) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --inject-delay=99:5 --json o.json"), "bad_flag",
                 "--inject-delay=99:MS names world rank 99, but this run's world has 8 ranks (0..7)");
  expect_refused(bench(d, kSmall + " --inject-delay=8:5 --json o.json"), "bad_flag");
  EXPECT_FALSE(d.exists("o.json"));
}

// --inject-delay=RANK:MS:EVERY delays only iterations 0, EVERY, ...: with 2, delayed and undelayed
// iterations alternate in one run (the rehearsal's check compares them in one machine state,
// scripts/rehearsal_faults.py). The launch skew shows which were delayed; malformed parts refused.
TEST(BadInput, InjectDelayEveryAlternatesAndIsChecked) {
  TempDir d;
  const std::string run = " --backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x64x32 "
                          "--strategies=fused --collectives=off --iters=8 --warmup=1 --json o.json";
  const auto r = bench(d, run + " --inject-delay=3:3:2");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = results(d);
  EXPECT_EQ(j["environment"]["injected_delay"]["every"], 2);
  for (const auto& c : j["configs"]) {
    const auto& skew = c["launch_skew"]["samples_ms"];
    ASSERT_EQ(skew.size(), 8u);
    int late = 0;
    for (size_t i = 0; i < skew.size(); ++i) {
      const bool now = skew[i].get<double>() > 2.7, next = skew[(i + 1) % skew.size()].get<double>() > 2.7;
      EXPECT_NE(now, next) << "iterations must alternate delayed and undelayed: " << skew.dump();
      EXPECT_TRUE(now || skew[i].get<double>() < 1.5) << skew.dump();
      late += now;
    }
    EXPECT_EQ(late, 4);
  }
  for (const char* bad : {"3:3:0", "3:3:x", "3:3x", "3:3:2:1", "3::2"})
    expect_refused(bench(d, kSmall + " --inject-delay=" + bad + " --json p.json"), "bad_flag");
  EXPECT_FALSE(d.exists("p.json"));
}

// --test-phase-delay (test-only, the planted slowdown of the A/A proof): refused up front when it
// names no phase of the table, a percentage outside (0, 100] or a graph run; taken, it is
// recorded in the environment and, per config, the microseconds each repetition used, and the
// stdout summary says the run is slowed on purpose.
TEST(BadInput, TestPhaseDelayIsCheckedAndRecorded) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --test-phase-delay=fwd_comm --json o.json"), "bad_flag",
                 "--test-phase-delay is PHASE:PCT (e.g. fwd_comm:5), got 'fwd_comm'");
  expect_refused(bench(d, kSmall + " --test-phase-delay=fwd:5 --json o.json"), "bad_flag",
                 "--test-phase-delay: unknown phase 'fwd' (use fwd_local, fwd_comm, cp_shard,");
  for (const char* pct : {"0", "-1", "101", "nan", "5%"})
    expect_refused(bench(d, kSmall + " --test-phase-delay=fwd_comm:" + pct + " --json o.json"), "bad_flag",
                   "--test-phase-delay needs 0 < PCT <= 100");
  expect_refused(bench(d, kSmall + " --mode=graph --test-phase-delay=fwd_comm:5 --json o.json"), "bad_flag",
                 "--test-phase-delay needs eager launches");
  EXPECT_FALSE(d.exists("o.json"));
  auto r = bench(d, "--backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x64x32 --strategies=fused,reference "
                    "--collectives=off --iters=3 --warmup=2 --benchmark_repetitions=2 --test-phase-delay=fwd_comm:20 "
                    "--json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("SLOWDOWN PLANTED: +20% of fwd_comm in every config, on purpose (--test-phase-delay)"),
            std::string::npos)
      << r.out;
  const auto j = results(d);
  EXPECT_EQ(j["environment"]["injected_phase_delay"], nlohmann::json({{"phase", "fwd_comm"}, {"pct", 20.0}}));
  ASSERT_EQ(j["configs"].size(), 2u);
  for (const auto& c : j["configs"]) {
    ASSERT_TRUE(c.contains("injected_phase_delay_us")) << c["id"];
    ASSERT_EQ(c["injected_phase_delay_us"].size(), 2u) << "one per repetition: " << c["id"];
    for (const auto& us : c["injected_phase_delay_us"]) EXPECT_GT(us.get<double>(), 0.0) << c["id"];
  }
  // Without the flag neither key is written.
  ASSERT_EQ(bench(d, kSmall + " --json p.json").code, 0);
  const auto p = results(d, "p.json");
  EXPECT_FALSE(p["environment"].contains("injected_phase_delay"));
  EXPECT_FALSE(p["configs"][0].contains("injected_phase_delay_us"));
}

// --inject-fault (test-only, the rehearsal's "real peer failing"): checked against the world and
// its own form before anything runs; a rank that throws aborts the run, keeps the configs before
// it and names the fault.
TEST(BadInput, InjectFaultIsCheckedAndAbortsTheRun) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --inject-fault=throw:8:1 --json o.json"), "bad_flag",
                 "--inject-fault names world rank 8, but this run's world has 8 ranks");
  expect_refused(bench(d, kSmall + " --inject-fault=crash:1:1 --json o.json"), "bad_flag",
                 "--inject-fault is throw:RANK:CONFIG or hang:RANK:CONFIG");
  expect_refused(bench(d, kSmall + " --inject-fault=hang:0:1 --json o.json"), "bad_flag",
                 "--inject-fault=hang needs a rank other than 0");
  EXPECT_FALSE(d.exists("o.json"));
  const std::string two = " --backend=host --layouts=seed_fan_in_cp1 --mem=bsh,sbh --shapes=2x64x32 "
                          "--strategies=fused --collectives=off --iters=1 --warmup=0";
  const auto r = bench(d, two + " --inject-fault=throw:3:2 --json o.json");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error: injected_fault: --inject-fault: world rank 3 fails at config 2"), std::string::npos) << r.err;
  const auto j = results(d);
  EXPECT_EQ(j["aborted"]["rule"], "injected_fault");
  EXPECT_EQ(j["configs"].size(), 1u) << "the config before the fault is kept";
}

// B16, B29, B30: an empty item is refused wherever it is (a trailing one was taken); B22, B28:
// the message names the flag.
TEST(BadInput, EmptyListItemsAreRefusedNamingTheFlag) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --shapes=2x64x32, --json o.json"), "bad_flag", "--shapes has an empty item in '2x64x32,'");
  expect_refused(bench(d, kSmall + " --mem=bsh, --json o.json"), "bad_flag", "--mem has an empty item in 'bsh,'");
  expect_refused(bench(d, kSmall + " --dtypes=,bf16 --json o.json"), "bad_flag", "--dtypes has an empty item");
  expect_refused(bench(d, kSmall + " --strategies=fused,,reference --json o.json"), "bad_flag", "--strategies has an empty item");
  expect_refused(bench(d, kSmall + " --layouts=seed_fan_in_cp1, --json o.json"), "bad_flag", "--layouts has an empty item");
  expect_refused(bench(d, kSmall + " --nccl-path=default, --json o.json"), "bad_flag", "--nccl-path has an empty item");
  expect_refused(bench(d, kSmall + " --strategies= --json o.json"), "bad_flag", "--strategies is empty");
  expect_refused(bench(d, kSmall + " --mem= --json o.json"), "bad_flag", "--mem is empty");
  expect_refused(bench(d, kSmall + " --dtypes= --json o.json"), "bad_flag", "--dtypes is empty");
  expect_refused(bench(d, kSmall + " --shapes= --json o.json"), "bad_flag", "--shapes is empty");
  EXPECT_FALSE(d.exists("o.json"));
}

// B49, S21: seeds and all mixed with names are taken (the repeat runs once, said).
TEST(BadInput, SeedsAndAllMixWithNames) {
  TempDir d;
  auto r = bench(d, kSmall + " --layouts=seeds,seed_fan_in_cp1 --benchmark_list_tests --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: layouts lists 'seed_fan_in_cp1' 2 times; it runs once"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("bridge/seed_fan_out_cp2/"), std::string::npos) << r.out;
  r = bench(d, kSmall + " --strategies=all,reference --benchmark_list_tests --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: strategies lists reference 2 times; it runs once"), std::string::npos) << r.err;
  expect_refused(bench(d, kSmall + " --strategies=all,bogus"), "bad_strategy", "--strategies: unknown strategy 'bogus'");
}

// S14: a duplicate key in a sweep file took the last value, silently.
TEST(BadInput, SweepFileDuplicateKeyIsRefused) {
  TempDir d;
  d.write("s.json", R"({"layouts": ["seed_fan_in_cp1"], "shapes": [{"b": 2, "s": 64, "h": 32}], "shapes": [{"b": 4, "s": 64, "h": 32}]})");
  expect_refused(bench(d, "--backend=host --layouts=s.json --json o.json"), "bad_sweep_file");
  EXPECT_NE(bench(d, "--backend=host --layouts=s.json").err.find("$.shapes: duplicate_key"), std::string::npos);
}

// B50: a 100,000-character value is cut in the message, its length said.
TEST(BadInput, HugeValueIsCutInTheMessage) {
  TempDir d;
  const auto r = bench(d, kSmall + " --layouts=" + std::string(100000, 'x'));
  expect_refused(r, "bad_flag", "unknown layout 'xxxx");
  const std::string first = r.err.substr(0, r.err.find('\n'));
  EXPECT_LT(first.size(), 600u);
  EXPECT_NE(first.find(" characters)"), std::string::npos) << first;
}

// I04: --timeout on host is enforced on the whole collective: a collective that runs past it is
// aborted (here every rank 2 collective starts 1.5 s late against --timeout=1), and what was
// measured before is still written.
TEST(BadInput, TimeoutIsEnforcedOnHost) {
  TempDir d;
  const auto r = bench(d, kSmall + " --inject-delay=2:1500 --timeout=1 --json o.json");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error: collective_timeout: "), std::string::npos) << r.err;
  const auto j = results(d);
  EXPECT_EQ(j["aborted"]["rule"], "collective_timeout");
}
