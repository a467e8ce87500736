// Pre-run validation of a config (config/validate.hpp): one function, check_shape, holds every
// check of a shape against its plan, in one order, and the round trip runs it before anything
// is allocated, so a config the sweep would skip is refused alike when called directly.
#include <gtest/gtest.h>

#include <string>

#include "bridge_util.hpp"
#include "config/validate.hpp"

namespace {

const bbtest::Layout kFanOutCp2{8, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 2}, {"dp", 4}}};

bb::BridgeShape shape(int64_t b, int64_t s, int64_t h) { return {bb::MemOrder::bsh, bb::DType::bf16, b, s, h}; }

std::string rule_of(const bb::Plan& plan, const bb::BridgeShape& sh) {
  try {
    bb::check_shape(plan, sh);
  } catch (const bb::Error& e) {
    return e.rule();
  }
  return "";
}

TEST(Validate, EveryRuleOfAShapeAgainstItsPlanInOneFunction) {
  const bb::Plan plan = bbtest::plan_of(kFanOutCp2);  // fan-out scale 2, dest CP 2
  EXPECT_EQ(rule_of(plan, shape(2, 64, 8)), "");
  EXPECT_EQ(rule_of(plan, shape(0, 64, 8)), "bad_shape");
  EXPECT_EQ(rule_of(plan, shape(3, 64, 8)), "batch_not_divisible");
  EXPECT_EQ(rule_of(plan, shape(2, 66, 8)), "seq_not_divisible");
  // b x s x h x 4 fits 64 bits (2^61), but 16 x one rank's largest tensor in bytes (2^64) does not.
  EXPECT_EQ(rule_of(plan, shape(2, int64_t(1) << 29, int64_t(1) << 29)), "too_large");
}

TEST(Validate, TheRoundTripRefusesAnOverflowingConfigBeforeAllocating) {
  const bb::Plan plan = bbtest::plan_of(kFanOutCp2);
  std::string rule;
  try {
    bbtest::on_world("host", plan.world, [&](bb::Comm&, bb::Device& dev, bb::CommCache& comms) {
      bb::RunOptions ro;
      ro.time = false;
      bb::run_round_trip(plan, shape(2, int64_t(1) << 29, int64_t(1) << 29), *bb::make_strategy("reference"), comms,
                         dev, ro);
    });
  } catch (const bb::Error& e) {
    rule = e.rule();
  }
  EXPECT_EQ(rule, "too_large");
}

}  // namespace
