// The sweep driver without Google Benchmark: rank 0 chooses which config runs next and the
// other ranks follow its announcements, whatever the order; every config is checked before it
// counts, repetitions merge into one entry, and the results JSON is what was measured.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>

#include "comm/launch.hpp"
#include "driver/agreement.hpp"
#include "driver/sweep_run.hpp"

namespace {

bb::BenchOptions small_sweep() {
  bb::BenchOptions o;
  o.backend = "host";
  o.layouts = "seed_fan_in_cp2";
  o.shapes = {{2, 64, 32}};
  o.axis_flags["mem"] = {"bsh"};  // as --mem=bsh --strategies=reference,p2p would
  o.axis_flags["strategy"] = {"reference", "p2p"};
  o.iterations = 2;
  o.warmup = 0;
  // One file per test: a run holds its --json's lock, and ctest runs tests side by side.
  o.json_out = testing::TempDir() + "/sweep_run_" + testing::UnitTest::GetInstance()->current_test_info()->name() +
               "_" + std::to_string(getpid()) + ".json";
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

// Issue 20: a signal that reaches one rank (under a launcher, one process) stops every rank at
// the same config boundary: rank 3 is "interrupted" while config 4 runs; no rank starts
// config 5, every follower returns the signal, and all ran configs 0..4 in the same order.
TEST(Agreement, OneInterruptedRankStopsEveryRankAtTheNextBoundary) {
  constexpr int kWorld = 4, kConfigs = 10;
  std::mutex mu;
  std::vector<std::vector<int>> ran(kWorld);
  std::vector<int> returned(kWorld, -1);
  bb::LaunchOptions lo;
  lo.world = kWorld;
  lo.timeout_s = 20;
  bb::launch(lo, [&](bb::Comm& world, bb::Device&) {
    const int me = world.rank();
    std::atomic<int> pending{0};
    bb::ConfigAgreement agreement(world, [&] { return pending.load(); });
    auto run = [&](int k) {
      std::lock_guard<std::mutex> lk(mu);
      ran[size_t(me)].push_back(k);
      if (me == 3 && k == 4) pending = SIGTERM;
    };
    if (me != 0) {
      const int sig = agreement.follow(run);
      std::lock_guard<std::mutex> lk(mu);
      returned[size_t(me)] = sig;
      return;
    }
    int stopped = 0;
    for (int k = 0; k < kConfigs && !stopped; ++k) {
      stopped = agreement.announce(k);
      if (!stopped) run(k);
    }
    if (!stopped) agreement.finish();
    returned[0] = stopped;
  });
  for (int r = 0; r < kWorld; ++r) {
    EXPECT_EQ(returned[size_t(r)], SIGTERM) << "rank " << r;
    EXPECT_EQ(ran[size_t(r)], (std::vector<int>{0, 1, 2, 3, 4})) << "rank " << r;
  }
}

TEST(Agreement, WithoutASignalEveryConfigRunsAndFollowersSeeTheEnd) {
  constexpr int kWorld = 3;
  std::vector<int> returned(kWorld, -1), count(kWorld, 0);
  bb::LaunchOptions lo;
  lo.world = kWorld;
  lo.timeout_s = 20;
  bb::launch(lo, [&](bb::Comm& world, bb::Device&) {
    const int me = world.rank();
    bb::ConfigAgreement agreement(world, [] { return 0; });
    if (me != 0) {
      returned[size_t(me)] = agreement.follow([&](int) { ++count[size_t(me)]; });
      return;
    }
    for (int k = 0; k < 6; ++k) returned[0] = agreement.announce(k), ++count[0];
    agreement.finish();
  });
  for (int r = 0; r < kWorld; ++r) {
    EXPECT_EQ(returned[size_t(r)], 0) << "rank " << r;
    EXPECT_EQ(count[size_t(r)], 6) << "rank " << r;
  }
}
