// Plan properties over every valid layout of worlds 1..32, and full round trips for worlds 1..8.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "bridge_util.hpp"
#include "plan/audit.hpp"
#include "config/sweep.hpp"

namespace {

// Every valid canonical layout of a world (the sweep's own enumeration).
std::vector<bbtest::Layout> valid_layouts(int world) {
  std::vector<bbtest::Layout> out;
  for (const auto& l : bb::all_layouts(world)) out.push_back({l.world, l.src, l.dest});
  return out;
}

int g_layouts_checked = 0;

class PlanProperties : public ::testing::TestWithParam<int> {};

TEST_P(PlanProperties, HoldForEveryValidLayout) {
  const int world = GetParam();
  auto layouts = valid_layouts(world);
  ASSERT_FALSE(layouts.empty());
  for (const auto& l : layouts) {
    bb::Plan p = bbtest::plan_of(l);
    SCOPED_TRACE("world " + std::to_string(world) + " src tp" + std::to_string(p.src_tp) + " dp" +
                 std::to_string(p.src_dp) + " -> dest tp" + std::to_string(p.dest_tp) + " cp" +
                 std::to_string(p.dest_cp) + " dp" + std::to_string(p.dest_dp));
    // Every rank in exactly one gather group, each of size scale (none for equal DP).
    std::vector<int> seen(size_t(world), 0);
    for (const auto& g : p.gather_groups) {
      EXPECT_EQ(int(g.size()), p.scale);
      for (int r : g) ++seen[size_t(r)];
    }
    for (int r = 0; r < world; ++r) EXPECT_EQ(seen[size_t(r)], p.direction == bb::Direction::equal ? 0 : 1);
    // CP groups partition the ranks, each group spanning cp = 0..CP-1 of one (dp, tp).
    std::fill(seen.begin(), seen.end(), 0);
    for (const auto& g : p.cp_groups) {
      EXPECT_EQ(int(g.size()), p.dest_cp);
      for (size_t i = 0; i < g.size(); ++i) {
        ++seen[size_t(g[i])];
        EXPECT_EQ(p.dest_of(g[i]).cp, int(i));
        EXPECT_EQ(p.dest_of(g[i]).dp, p.dest_of(g[0]).dp);
        EXPECT_EQ(p.dest_of(g[i]).tp, p.dest_of(g[0]).tp);
      }
    }
    if (p.dest_cp > 1)
      for (int r = 0; r < world; ++r) EXPECT_EQ(seen[size_t(r)], 1);
    else
      EXPECT_TRUE(p.cp_groups.empty());
    // Positions are a bijection onto the grid coordinates.
    std::vector<int> pos;
    for (int r = 0; r < world; ++r) pos.push_back(p.src_of(r).dp * p.src_tp + p.src_of(r).tp);
    std::sort(pos.begin(), pos.end());
    for (int r = 0; r < world; ++r) EXPECT_EQ(pos[size_t(r)], r);
    // Slices of each gather group tile the batch, in group order.
    const int64_t B = 6 * p.scale;
    for (const auto& g : p.gather_groups) {
      int64_t next = 0;
      for (int r : g) {
        bb::Slice s = p.slice(r, B);
        EXPECT_EQ(s.start, next);
        EXPECT_EQ(s.size, B / p.scale);
        next += s.size;
      }
      EXPECT_EQ(next, B);
    }
    if (p.direction == bb::Direction::equal)
      for (int r = 0; r < world; ++r) EXPECT_EQ(p.slice(r, B).size, B);
    // Canonical orders route every sample to the replica that owns it.
    auto a = bb::audit_plan(p, bb::unit_src_batch(p) * 2);
    EXPECT_TRUE(a.ok) << a.summary;
    ++g_layouts_checked;
  }
}

INSTANTIATE_TEST_SUITE_P(Worlds, PlanProperties, ::testing::Range(1, 33));

TEST(PlanPropertiesSummary, CoveredManyLayouts) {
  int n = 0;
  for (int w = 1; w <= 32; ++w) n += int(valid_layouts(w).size());
  std::printf("valid canonical layouts over worlds 1..32: %d\n", n);
  EXPECT_GT(n, 500);
}

// Every valid layout of worlds 1..8 round-trips through every strategy (tiny tensors).
class EveryLayoutRoundTrip : public ::testing::TestWithParam<int> {};

TEST_P(EveryLayoutRoundTrip, PassesOracle) {
  for (const auto& l : valid_layouts(GetParam())) {
    bb::Plan p = bbtest::plan_of(l);
    bb::BridgeShape sh;
    sh.mem = p.dest_cp % 2 ? bb::MemOrder::sbh : bb::MemOrder::bsh;
    sh.b = p.direction == bb::Direction::fan_out ? p.scale : 1;
    sh.s = 2 * p.dest_cp * 2;
    sh.h = 4;
    for (const auto& name : bb::strategy_names()) {
      std::string first;
      EXPECT_TRUE(bbtest::run_checked(l, sh, *bb::make_strategy(name), &first).ok) << name << ": " << first;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Worlds, EveryLayoutRoundTrip, ::testing::Range(1, 9));

}  // namespace

namespace {

// Non-canonical dim orders: the bridge must still compute exactly the plan's semantics (the
// oracle checks them position by position), whatever the audit says about the routing.
class NonCanonicalOrders : public ::testing::TestWithParam<int> {};

TEST_P(NonCanonicalOrders, FollowPlanSemantics) {
  const std::vector<std::vector<std::string>> src_orders{{"tp", "dp"}, {"dp", "tp"}};
  const std::vector<std::vector<std::string>> dest_orders{{"tp", "cp", "dp"}, {"cp", "tp", "dp"}, {"cp", "dp", "tp"}};
  int misrouted = 0, runs = 0;
  for (auto l : valid_layouts(GetParam()))
    for (const auto& so : src_orders)
      for (const auto& dord : dest_orders) {
        l.src_order = so;
        l.dest_order = dord;
        bb::Plan p = bbtest::plan_of(l);
        bb::BridgeShape sh;
        sh.mem = bb::MemOrder::sbh;
        sh.b = p.direction == bb::Direction::fan_out ? p.scale : 1;
        sh.s = 4 * p.dest_cp;
        sh.h = 3;
        misrouted += !bb::audit_plan(p, sh.b).ok;
        for (const auto& name : bb::strategy_names()) {
          std::string first;
          EXPECT_TRUE(bbtest::run_checked(l, sh, *bb::make_strategy(name), &first).ok) << name << ": " << first;
          ++runs;
        }
      }
  EXPECT_GT(runs, 0);
  if (GetParam() >= 4) EXPECT_GT(misrouted, 0) << "some non-canonical orders misroute samples (semantics §7)";
}

INSTANTIATE_TEST_SUITE_P(Worlds, NonCanonicalOrders, ::testing::Values(2, 4, 6, 8));

}  // namespace
