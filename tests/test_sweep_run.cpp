// The sweep driver without Google Benchmark: rank 0 chooses which config runs next and the
// other ranks follow its announcements, whatever the order; every config is checked before it
// counts, repetitions merge into one entry, and the results JSON is what was measured.
#include <gtest/gtest.h>

#include <algorithm>

#include "driver/sweep_run.hpp"

namespace {

bb::BenchOptions small_sweep() {
  bb::BenchOptions o;
  o.backend = "host";
  o.layouts = "seed_fan_in_cp2";
  o.shapes = {{2, 64, 32}};
  o.mems = {bb::MemOrder::bsh};
  o.strategies = {"reference", "p2p"};
  o.iterations = 2;
  o.warmup = 0;
  o.json_out = testing::TempDir() + "/sweep_run.json";
  o.timeout_s = 20;  // a follower out of step would leave a collective unmatched: abort, not hang
  return o;
}

}  // namespace

TEST(SweepRun, FollowersRunWhatRankZeroChoosesInAnyOrder) {
  bb::SweepRun run(small_sweep());
  ASSERT_GE(run.size(), 3u) << "two round trips and their bare collectives";
  run.prepare();
  std::vector<size_t> order(run.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = order.size() - 1 - k;  // backwards
  std::vector<bb::Outcome> got;
  run.launch([&] {
    for (size_t k : order) got.push_back(run.run(k));
    got.push_back(run.run(0));  // a repetition of the first config
  });
  for (const auto& o : got) EXPECT_TRUE(o.measured) << o.error;
  const auto j = run.results_json(nullptr);
  ASSERT_EQ(j["configs"].size(), 2u);
  EXPECT_TRUE(j["failures"].empty()) << j["failures"].dump();
  for (const auto& c : j["configs"]) EXPECT_TRUE(c["correct"].get<bool>()) << c["id"];
  const auto first = std::find_if(j["configs"].begin(), j["configs"].end(),
                                  [&](const nlohmann::ordered_json& c) { return "bridge/" + c["id"].get<std::string>() == run.name(0); });
  ASSERT_NE(first, j["configs"].end());
  EXPECT_EQ((*first)["repetitions"], 2) << "a second run of a config merges into its entry";
  EXPECT_EQ(j["collectives"].size(), run.size() - 2);
}

TEST(SweepRun, RefusesBadInputBeforeAnythingRuns) {
  bb::BenchOptions o = small_sweep();
  o.json_out = "/no/such/dir/x.json";
  try {
    bb::SweepRun run(o);
    FAIL() << "an unwritable --json must be refused up front";
  } catch (const bb::Error& e) {
    EXPECT_EQ(e.rule(), "bad_output");
  }
}
