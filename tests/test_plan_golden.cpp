// Every case of the golden plan file, through the library (and the golden copy kept in sync).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "plan/grid.hpp"
#include "plan/plan.hpp"
#include "plan/plan_json.hpp"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

nlohmann::json golden() { return nlohmann::json::parse(slurp(BB_TEST_DATA "/plans.json")); }

std::map<std::string, int> sizes(const nlohmann::json& j) { return j.get<std::map<std::string, int>>(); }

// Runs one case; returns the plan JSON or the rule id of the error.
std::pair<nlohmann::json, std::string> run_case(const nlohmann::json& c) {
  try {
    bb::Grid src = bb::make_grid(sizes(c["src"]), c["src_order"].get<std::vector<std::string>>(), c["offset"]);
    bb::Grid dest = bb::make_grid(sizes(c["dest"]), c["dest_order"].get<std::vector<std::string>>(), c["offset"]);
    bb::Plan p = bb::make_plan(c["world"], src, dest);
    std::optional<int64_t> batch;
    if (c.contains("batch")) batch = c["batch"].get<int64_t>();
    return {nlohmann::json::parse(bb::plan_to_json(p, batch).dump()), ""};
  } catch (const bb::Error& e) {
    return {nullptr, e.rule()};
  }
}

TEST(GoldenPlans, CopyMatchesSharedWhenPresent) {
  std::ifstream shared(BB_SHARED_GOLDEN, std::ios::binary);
  if (!shared) GTEST_SKIP() << "no ../shared/golden/plans.json beside this checkout (a user clone): nothing to compare";
  EXPECT_EQ(slurp(BB_SHARED_GOLDEN), slurp(BB_TEST_DATA "/plans.json"))
      << "tests/data/plans.json differs from ../shared/golden/plans.json: copy it again";
}

TEST(GoldenPlans, HasCases) { EXPECT_GE(golden()["cases"].size(), 10u); }

class GoldenCase : public ::testing::TestWithParam<int> {};

TEST_P(GoldenCase, MatchesExpectation) {
  const auto c = golden()["cases"][size_t(GetParam())];
  SCOPED_TRACE(c["name"].get<std::string>());
  auto [plan, rule] = run_case(c);
  if (c.contains("expect_error")) {
    EXPECT_EQ(rule, c["expect_error"].get<std::string>());
  } else {
    ASSERT_EQ(rule, "") << "unexpected error";
    EXPECT_EQ(plan, c["expect"]) << "got " << plan.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(All, GoldenCase, ::testing::Range(0, int(golden()["cases"].size())), [](const auto& info) {
  return golden()["cases"][size_t(info.param)]["name"].get<std::string>();
});

}  // namespace
