// Issue 12, item 7: floors are lower bounds. A fresh host-simulation (and, with a GPU,
// emulation) run of every seed layout, both strategies and memory orders, a small and a larger
// shape, must report no floor ratio above 1.0 + its noise, for configs, their phases and the
// bare collectives.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "comm/launch.hpp"

namespace {

// The spread of the samples themselves, plus 5% for timer resolution on tiny phases.
double noise(const nlohmann::json& stats) {
  const double med = stats["median_ms"].get<double>(), lo = stats["min_ms"].get<double>();
  return (med > 0 ? (med - lo) / med : 0.0) + 0.05;
}

void expect_floors_hold(const std::string& args) {
  bbtest::TempDir d;
  auto r = bbtest::run_in(d, std::string(BB_BENCH_CLI) + " " + args + " --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(d.read("o.json"));
  ASSERT_FALSE(j["configs"].empty());
  int checked = 0;
  for (const auto& c : j["configs"]) {
    EXPECT_GT(c["floor_ms"].get<double>(), 0) << c["id"];
    EXPECT_LE(c["floor_ratio"].get<double>(), 1.0 + noise(c["total"])) << c["id"] << " (" << c["floor_basis"] << ")";
    for (const auto& p : c["phases"]) {
      EXPECT_LE(p["floor_ratio"].get<double>(), 1.0 + noise(p)) << c["id"] << " phase " << p["name"];
      ++checked;
    }
  }
  for (const auto& b : j["collectives"]) {
    const double med = b["median_ms"].get<double>(), lo = b["min_ms"].get<double>();
    EXPECT_LE(b["floor_ratio"].get<double>(), 1.0 + (med > 0 ? (med - lo) / med : 0.0) + 0.05) << b["id"];
  }
  EXPECT_GT(checked, 20);
}

TEST(FloorsHold, NoHostRunBeatsItsFloor) {
  expect_floors_hold("--backend=host --shapes=2x64x256,2x256x1024 --iters=3 --warmup=1");
}

// The emulation's ranks share one GPU: run where there is one (the lead's GPU check).
TEST(FloorsHold, NoEmulatedRunBeatsItsFloor) {
  if (bb::gpu_count() < 1) GTEST_SKIP() << "no GPU: the emulation needs one";
  expect_floors_hold("--backend=emulate --shapes=2x64x256,2x1024x4096 --iters=5 --warmup=2");
}

}  // namespace
