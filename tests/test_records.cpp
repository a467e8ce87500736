// Typed records (results/records.hpp): derive turns known samples into known figures, a
// repetition appends samples (and the figures follow), the writer writes the figures derive
// made, and the reader gives back records that derive to the same figures.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "results/derive.hpp"
#include "results/records_json.hpp"
#include "results/records_read.hpp"
#include "results/repetitions.hpp"
#include "driver/summary.hpp"

namespace {

bb::ConfigKey key_of(const std::string& strategy, bb::NcclPath path = bb::NcclPath::default_path) {
  bb::ConfigKey k;
  k.layout = "seed_fan_in_cp2";
  k.world = 8;
  k.shape.b = 2;
  k.shape.s = 64;
  k.shape.h = 32;
  k.strategy = strategy;
  k.path = path;
  return k;
}

bb::PhaseRecord phase(bb::Phase p, bool collective, std::vector<double> ms, double floor_ms) {
  bb::PhaseRecord ph;
  ph.phase = p;
  ph.kind = collective ? "collective" : "local";
  ph.op = collective ? "all_gather" : "copy";
  ph.bytes_per_rank = 1000000;
  ph.bw_bytes = 2000000;
  ph.bus_factor = collective ? 0.5 : 1.0;
  ph.floor.ms = floor_ms;
  ph.samples_ms = std::move(ms);
  ph.launch_samples_ms = {0.01, 0.03, 0.02};
  return ph;
}

// A config whose round trip took `total` (ms per sample), with two phases of known floors.
bb::ConfigRecord config(const std::string& strategy, std::vector<double> total,
                        bb::NcclPath path = bb::NcclPath::default_path) {
  bb::ConfigRecord c;
  c.key = key_of(strategy, path);
  c.id = c.key.id();
  c.total_ms = total;
  c.repetition_sizes = {total.size()};
  c.launch_skew_ms = {0.0, 0.2, 0.1};
  c.phases.push_back(phase(bb::Phase::fwd_comm, true, {2.0, 1.0, 4.0}, 0.5));
  c.phases.push_back(phase(bb::Phase::bwd_local, false, {1.0, 3.0}, 0.25));
  return c;
}

}  // namespace

TEST(Derive, StatsOfKnownSamples) {
  const bb::Stats s = bb::stats_of({4.0, 1.0, 3.0, 2.0});
  EXPECT_DOUBLE_EQ(s.median, 2.5);  // even count: the mean of the middle two
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 4.0);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(bb::stats_of({5.0, 1.0, 3.0}).median, 3.0);
}

TEST(Derive, PhaseBandwidthsAndFloorRatiosFollowTheMedian) {
  const bb::ConfigFigures f = bb::derive(config("fused", {3.0, 1.0, 2.0}));
  ASSERT_EQ(f.phases.size(), 2u);
  EXPECT_DOUBLE_EQ(f.phases[0].time.median, 2.0);
  EXPECT_DOUBLE_EQ(f.phases[0].algbw_GBps, 2000000 / (2.0 * 1e6));  // 1 GB/s
  EXPECT_DOUBLE_EQ(f.phases[0].busbw_GBps, 0.5);
  EXPECT_DOUBLE_EQ(*f.phases[0].floor_ratio, 0.25);
  EXPECT_DOUBLE_EQ(f.phases[0].launch_median_ms, 0.02);
  EXPECT_DOUBLE_EQ(f.phases[1].time.median, 2.0);
  EXPECT_DOUBLE_EQ(f.phases[1].busbw_GBps, f.phases[1].algbw_GBps);  // a local phase: no bus factor
  // The round trip: median 2 ms, floor the phases' floors summed (0.75 ms), bytes summed.
  EXPECT_DOUBLE_EQ(f.total.median, 2.0);
  EXPECT_EQ(f.floor.basis, "phases");
  EXPECT_DOUBLE_EQ(f.floor.ms, 0.75);
  EXPECT_DOUBLE_EQ(*f.floor_ratio, 0.375);
  EXPECT_EQ(f.bytes_per_rank, 2000000);
  EXPECT_DOUBLE_EQ(f.GBps, 1.0);
  EXPECT_DOUBLE_EQ(f.launch_skew.median, 0.1);
  EXPECT_DOUBLE_EQ(f.launch_skew.max, 0.2);
  EXPECT_FALSE(f.speedup);  // alone: no reference to be against
}

TEST(Derive, SharedMemoryFloorWinsWhenLongerAndAMissingFloorLeavesNone) {
  bb::ConfigRecord c = config("fused", {2.0});
  c.shared_floor_ms = 1.0;
  bb::ConfigFigures f = bb::derive(c);
  EXPECT_EQ(f.floor.basis, "shared_memcpy");
  EXPECT_DOUBLE_EQ(*f.floor_ratio, 0.5);
  c.phases[0].floor.known = false;
  c.phases[0].floor.basis = "none: shared_gpu";
  f = bb::derive(c);
  EXPECT_FALSE(f.floor.known);
  EXPECT_EQ(f.floor.basis, "none: shared_gpu");
  EXPECT_FALSE(f.floor_ratio);
  EXPECT_FALSE(f.phases[0].floor_ratio);
  EXPECT_TRUE(f.phases[1].floor_ratio);
}

TEST(Derive, SpeedupIsAgainstTheReferenceOfTheSameKey) {
  using P = bb::NcclPath;
  const std::vector<bb::ConfigRecord> set{config("reference", {4.0}), config("reference", {9.0}, P::zero_cta),
                                          config("fused", {2.0}), config("fused", {3.0}, P::zero_cta),
                                          config("p2p", {1.0}, P::symmetric)};
  const std::vector<bb::ConfigFigures> f = bb::derive(set);
  ASSERT_EQ(f.size(), set.size());
  EXPECT_DOUBLE_EQ(*f[0].speedup, 1.0);
  EXPECT_DOUBLE_EQ(*f[1].speedup, 1.0);
  EXPECT_DOUBLE_EQ(*f[2].speedup, 2.0);  // 4 / 2, not 9 / 2
  EXPECT_DOUBLE_EQ(*f[3].speedup, 3.0);  // 9 / 3, its own path's reference
  EXPECT_FALSE(f[4].speedup);            // no reference on the symmetric path
}

TEST(Derive, CollectiveFigures) {
  bb::CollectiveRecord c;
  c.coll_bytes = 4000000;
  c.bus_factor = 0.75;
  c.ms = {2.0, 4.0, 3.0};
  c.in_place_ms = {1.0, 1.0};
  c.suite_ms = {3.3};
  c.single_ms = {4.5};
  c.suite_in_place = false;
  c.floor.ms = 1.5;
  c.repetition_sizes = {3};
  bb::CollectiveFigures f = bb::derive(c);
  EXPECT_DOUBLE_EQ(f.time.median, 3.0);
  EXPECT_DOUBLE_EQ(f.algbw_GBps, 4.0 / 3.0);
  EXPECT_DOUBLE_EQ(f.busbw_GBps, 1.0);
  EXPECT_DOUBLE_EQ(f.in_place_algbw_GBps, 4.0);
  EXPECT_NEAR(f.suite_overhead_pct, 10.0, 1e-9);
  EXPECT_NEAR(f.single_launch_over_pct, 50.0, 1e-9);
  EXPECT_DOUBLE_EQ(*f.floor_ratio, 0.5);
  c.suite_in_place = true;  // set against the in-place time now
  f = bb::derive(c);
  EXPECT_NEAR(f.suite_overhead_pct, 230.0, 1e-9);
}

TEST(Repetitions, AppendSamplesAndTheFiguresFollow) {
  bb::ConfigRecord kept = config("fused", {1.0, 2.0, 3.0});
  bb::ConfigRecord next = config("fused", {5.0, 6.0, 7.0, 8.0});
  next.phases[1].samples_ms = {9.0, 9.0};
  next.phases.erase(next.phases.begin());  // a phase missing from one repetition is left as it was
  kept.gate_expiries = 1;
  next.gate_expiries = 2;
  bb::append_repetition(kept, next);
  EXPECT_EQ(kept.gate_expiries, 3);
  EXPECT_EQ(kept.total_ms, (std::vector<double>{1, 2, 3, 5, 6, 7, 8}));
  EXPECT_EQ(kept.repetition_sizes, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(kept.launch_skew_ms.size(), 6u);
  EXPECT_EQ(kept.phases[0].samples_ms.size(), 3u);
  EXPECT_EQ(kept.phases[1].samples_ms, (std::vector<double>{1, 3, 9, 9}));
  const bb::ConfigFigures f = bb::derive(kept);
  EXPECT_DOUBLE_EQ(f.total.median, 5.0);
  EXPECT_EQ(f.repetition_medians_ms, (std::vector<double>{2.0, 6.5}));
  EXPECT_DOUBLE_EQ(f.repetition_spread, 3.25);
  EXPECT_DOUBLE_EQ(*f.floor_ratio, 0.75 / 5.0);  // the floor ratio follows the merged median
  EXPECT_DOUBLE_EQ(f.phases[1].time.median, 6.0);
}

TEST(Repetitions, CollectiveAppendsEverySeries) {
  bb::CollectiveRecord kept, next;
  kept.ms = {1.0};
  kept.in_place_ms = {1.0};
  kept.suite_ms = {1.0};
  kept.single_ms = {1.0};
  kept.launch_skew_ms = {0.1};
  kept.repetition_sizes = {1};
  next = kept;
  next.ms = {3.0};
  bb::append_repetition(kept, next);
  EXPECT_EQ(kept.ms, (std::vector<double>{1.0, 3.0}));
  EXPECT_EQ(kept.in_place_ms.size(), 2u);
  EXPECT_EQ(kept.suite_ms.size(), 2u);
  EXPECT_EQ(kept.single_ms.size(), 2u);
  EXPECT_EQ(kept.launch_skew_ms.size(), 2u);
  const bb::CollectiveFigures f = bb::derive(kept);
  EXPECT_DOUBLE_EQ(f.time.median, 2.0);
  EXPECT_EQ(f.repetition_medians_ms, (std::vector<double>{1.0, 3.0}));
  EXPECT_DOUBLE_EQ(f.repetition_spread, 3.0);
}

TEST(RecordsJson, TheWriterWritesDerivedFiguresAndTheReaderGivesThemBack) {
  std::vector<bb::ConfigRecord> set{config("reference", {4.0, 4.0}), config("fused", {2.0, 1.0, 3.0})};
  bb::append_repetition(set[1], config("fused", {2.0}));
  set[1].gate_expiries = 3;
  const std::vector<bb::ConfigFigures> f = bb::derive(set);
  const auto j = bb::config_json(set[1], f[1]);
  EXPECT_EQ(j["id"], set[1].key.id());
  EXPECT_EQ(j["key"]["strategy"], "fused");
  EXPECT_DOUBLE_EQ(j["total"]["median_ms"].get<double>(), 2.0);
  EXPECT_EQ(j["total"]["samples_ms"].size(), 4u);
  EXPECT_DOUBLE_EQ(j["floor_ratio"].get<double>(), 0.375);
  EXPECT_DOUBLE_EQ(j["phases"][0]["algbw_GBps"].get<double>(), 1.0);
  EXPECT_EQ(j["repetitions"], 2);
  EXPECT_EQ(j["repetition_medians_ms"].get<std::vector<double>>(), (std::vector<double>{2.0, 2.0}));
  EXPECT_TRUE(j.contains("repetition_spread"));
  EXPECT_FALSE(bb::config_json(set[0], f[0]).contains("repetition_spread"));  // one repetition
  EXPECT_EQ(j["contention"]["load"], "none");
  // Read back: the same key, samples and floors, so the same figures and speedup.
  std::vector<bb::ConfigRecord> back;
  for (size_t i = 0; i < set.size(); ++i)
    back.push_back(bb::config_record_from_json(nlohmann::json::parse(bb::config_json(set[i], f[i]).dump())));
  const std::vector<bb::ConfigFigures> g = bb::derive(back);
  for (size_t i = 0; i < set.size(); ++i) {
    EXPECT_EQ(back[i].id, set[i].id);
    EXPECT_EQ(back[i].key.json(), set[i].key.json());
    EXPECT_DOUBLE_EQ(g[i].total.median, f[i].total.median);
    EXPECT_DOUBLE_EQ(*g[i].floor_ratio, *f[i].floor_ratio);
    EXPECT_DOUBLE_EQ(g[i].launch_skew.max, f[i].launch_skew.max);
    EXPECT_EQ(back[i].gate_expiries, set[i].gate_expiries);
  }
  EXPECT_DOUBLE_EQ(*g[1].speedup, 2.0);
}

TEST(RecordsJson, TheReaderRefusesAConfigWithoutItsKey) {
  auto j = nlohmann::json::parse(bb::config_json(config("fused", {1.0}), bb::derive(config("fused", {1.0}))).dump());
  j.erase("key");
  try {
    bb::config_record_from_json(j);
    FAIL() << "a config without its key must be refused";
  } catch (const bb::Error& e) {
    EXPECT_EQ(e.rule(), "bad_results");
    EXPECT_NE(std::string(e.what()).find("scripts/summary.py"), std::string::npos) << e.what();
  }
}

// A per-phase figure known by name (NamedFigure) reaches the JSON and the stdout summary with no
// further code: what a new metric added in derive_phase gets.
TEST(RecordsJson, NamedPhaseFiguresReachTheJsonAndTheSummary) {
  bb::RunSummary run;
  run.backend = "host";
  run.configs = {config("reference", {2.0}), config("fused", {1.0})};
  std::vector<bb::ConfigFigures> f = bb::derive(run.configs);
  f[1].phases[1].named.push_back({"p90_ms", 2.75});
  const auto j = bb::config_json(run.configs[1], f[1]);
  EXPECT_DOUBLE_EQ(j["phases"][1]["p90_ms"].get<double>(), 2.75);
  EXPECT_FALSE(j["phases"][0].contains("p90_ms"));
  char* buf = nullptr;
  size_t n = 0;
  std::FILE* mem = open_memstream(&buf, &n);
  bb::print_summary(mem, run, f, "x.json");
  std::fclose(mem);
  const std::string s(buf, n);
  std::free(buf);
  const std::string line = std::string("  ") + run.configs[1].id;
  const size_t at = s.find(line);
  ASSERT_NE(at, std::string::npos) << s;
  const std::string rest = s.substr(at, s.find('\n', at) - at);
  EXPECT_NE(rest.find("bwd_local"), std::string::npos) << rest;
  EXPECT_NE(rest.find("p90_ms=2.75"), std::string::npos) << rest;
  size_t times = 0;  // once: the one phase that has it
  for (size_t i = s.find("p90_ms="); i != std::string::npos; i = s.find("p90_ms=", i + 1)) ++times;
  EXPECT_EQ(times, 1u) << s;
}

// A config whose launch gate expired is named under a warning; a run without one prints none.
TEST(Summary, ConfigsWithAnExpiredGateAreNamed) {
  bb::RunSummary run;
  run.backend = "emulate";
  run.configs = {config("reference", {2.0}), config("fused", {1.0})};
  auto print = [&] {
    char* buf = nullptr;
    size_t n = 0;
    std::FILE* mem = open_memstream(&buf, &n);
    bb::print_summary(mem, run, bb::derive(run.configs), "x.json");
    std::fclose(mem);
    const std::string s(buf, n);
    std::free(buf);
    return s;
  };
  EXPECT_EQ(print().find("GATE EXPIRED"), std::string::npos);
  run.configs[1].gate_expiries = 2;
  const std::string s = print();
  const size_t at = s.find("GATE EXPIRED in 1 config(s)");
  ASSERT_NE(at, std::string::npos) << s;
  EXPECT_NE(s.find("  " + run.configs[1].id + " (2)", at), std::string::npos) << s;
  EXPECT_EQ(s.find(run.configs[0].id, at), std::string::npos) << s;
}
