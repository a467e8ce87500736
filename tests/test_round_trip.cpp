// Host-simulation round trips (src fill -> forward -> CP shard -> gradient -> adjoint ->
// backward) through the oracle, for every strategy, both memory orders and all dtypes.
#include <gtest/gtest.h>

#include "bridge_util.hpp"

namespace {

using bbtest::Layout;

struct Case {
  std::string name;
  Layout layout;
};

std::vector<Case> cases() {
  std::vector<Case> v = {
      {"seed_fan_in_cp2", {8, {{"tp", 2}, {"dp", 4}}, {{"tp", 2}, {"cp", 2}, {"dp", 2}}}},
      {"seed_fan_out_cp2", {8, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 2}, {"dp", 4}}}},
      {"seed_fan_in_cp1", {8, {{"tp", 2}, {"dp", 4}}, {{"tp", 4}, {"dp", 2}}}},
      {"fan_out_cp1", {8, {{"tp", 4}, {"dp", 2}}, {{"tp", 2}, {"dp", 4}}}},
      {"equal_cp2", {8, {{"tp", 4}, {"dp", 2}}, {{"tp", 2}, {"cp", 2}, {"dp", 2}}}},
      {"equal_cp1", {4, {{"tp", 2}, {"dp", 2}}, {{"tp", 2}, {"dp", 2}}}},
      {"fan_in_scale4_cp2", {8, {{"tp", 1}, {"dp", 8}}, {{"tp", 2}, {"cp", 2}, {"dp", 2}}}},
      {"fan_out_scale8", {8, {{"tp", 8}, {"dp", 1}}, {{"tp", 1}, {"dp", 8}}}},
      {"fan_in_cp4", {8, {{"tp", 1}, {"dp", 8}}, {{"tp", 1}, {"cp", 4}, {"dp", 2}}}},
      {"fan_out_cp4", {8, {{"tp", 8}, {"dp", 1}}, {{"tp", 1}, {"cp", 4}, {"dp", 2}}}},
      {"equal_cp4", {8, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 4}, {"dp", 2}}}},
      {"fan_in_to_dp1_cp4", {4, {{"tp", 1}, {"dp", 4}}, {{"tp", 1}, {"cp", 4}, {"dp", 1}}}},
      {"fan_out_from_dp1_cp2", {4, {{"tp", 4}, {"dp", 1}}, {{"tp", 1}, {"cp", 2}, {"dp", 2}}}},
      {"world1", {1, {{"tp", 1}, {"dp", 1}}, {{"tp", 1}, {"dp", 1}}}},
      {"world2_fan_in", {2, {{"tp", 1}, {"dp", 2}}, {{"tp", 2}, {"dp", 1}}}},
      {"world2_cp2", {2, {{"tp", 1}, {"dp", 2}}, {{"tp", 1}, {"cp", 2}, {"dp", 1}}}},
      {"world6_fan_in_scale3", {6, {{"tp", 1}, {"dp", 6}}, {{"tp", 3}, {"dp", 2}}}},
      {"world6_fan_out_cp3", {6, {{"tp", 3}, {"dp", 2}}, {{"tp", 1}, {"cp", 3}, {"dp", 2}}}},
      {"world12_cp2_tp3", {12, {{"tp", 3}, {"dp", 4}}, {{"tp", 3}, {"cp", 2}, {"dp", 2}}}},
      {"world16_fan_in_cp2", {16, {{"tp", 2}, {"dp", 8}}, {{"tp", 2}, {"cp", 2}, {"dp", 4}}}},
      {"world16_fan_out_cp4", {16, {{"tp", 8}, {"dp", 2}}, {{"tp", 1}, {"cp", 4}, {"dp", 4}}}},
      {"world16_scale8_cp2", {16, {{"tp", 1}, {"dp", 16}}, {{"tp", 4}, {"cp", 2}, {"dp", 2}}}},
      {"offset4_fan_out", {8, {{"tp", 2}, {"dp", 2}}, {{"tp", 1}, {"dp", 4}}, {"tp", "cp", "pp", "dp"}, {"tp", "cp", "pp", "dp"}, 4}},
      {"offset2_cp2", {6, {{"tp", 1}, {"dp", 4}}, {{"tp", 1}, {"cp", 2}, {"dp", 2}}, {"tp", "cp", "pp", "dp"}, {"tp", "cp", "pp", "dp"}, 2}},
      {"cp_first_order", {8, {{"tp", 2}, {"dp", 4}}, {{"tp", 2}, {"cp", 2}, {"dp", 2}}, {"tp", "cp", "pp", "dp"}, {"cp", "tp", "pp", "dp"}}},
      {"dp_tp_src_order", {8, {{"tp", 2}, {"dp", 4}}, {{"tp", 4}, {"dp", 2}}, {"dp", "tp"}, {"tp", "dp"}}},
  };
  return v;
}

struct Param {
  Case c;
  std::string strategy;
  bb::MemOrder mem;
  bb::DType dtype;
};

std::vector<Param> params() {
  std::vector<Param> v;
  for (const auto& c : cases())
    for (const auto& s : bb::strategy_names())
      for (auto mem : {bb::MemOrder::bsh, bb::MemOrder::sbh})
        for (auto dt : {bb::DType::bf16, bb::DType::fp16, bb::DType::fp32}) v.push_back({c, s, mem, dt});
  return v;
}

void PrintTo(const Param& p, std::ostream* os) {
  *os << p.c.name << " " << p.strategy << " " << bb::mem_order_name(p.mem) << " " << bb::dtype_name(p.dtype);
}

class RoundTrip : public ::testing::TestWithParam<Param> {};

TEST_P(RoundTrip, PassesOracle) {
  const Param& p = GetParam();
  bb::Plan plan = bbtest::plan_of(p.c.layout);
  bb::BridgeShape sh;
  sh.mem = p.mem;
  sh.dtype = p.dtype;
  sh.b = plan.direction == bb::Direction::fan_out ? 2 * plan.scale : 2;  // fan-out needs b % scale == 0
  sh.s = 4 * 2 * plan.dest_cp;  // 4 rows per CP chunk
  sh.h = p.dtype == bb::DType::fp32 ? 5 : 6;  // odd row sizes: the copy paths must not assume alignment
  auto strategy = bb::make_strategy(p.strategy);
  std::string first;
  bb::CheckOutcome o = bbtest::run_checked(p.c.layout, sh, *strategy, &first);
  EXPECT_TRUE(o.ok) << first;
  EXPECT_TRUE(o.failing_ranks.empty());
  EXPECT_EQ(o.mismatches, 0);
  EXPECT_GT(o.elements_checked, 0);
  EXPECT_EQ(o.elements_checked, o.elements_expected);  // every element of every output, every rank
  if (plan.in_grid(0)) EXPECT_GE(o.tensors_checked, 2);
}

INSTANTIATE_TEST_SUITE_P(Host, RoundTrip, ::testing::ValuesIn(params()), [](const auto& info) {
  const Param& p = info.param;
  return p.c.name + "_" + p.strategy + "_" + bb::mem_order_name(p.mem) + "_" + bb::dtype_name(p.dtype);
});

}  // namespace
