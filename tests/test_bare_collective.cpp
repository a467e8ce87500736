// Bare collectives (timed alone, nccl-tests style) are checked before they are timed.
#include <gtest/gtest.h>

#include "run/round_trip.hpp"
#include "comm/launch.hpp"
#include "measure/bare_collective.hpp"

namespace {

bb::BareResult run(const bb::BareSpec& spec, int world_size) {
  std::vector<bb::BareResult> out(static_cast<size_t>(world_size));
  bb::LaunchOptions lo;
  lo.world = world_size;
  bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
    bb::CommCache cache(world);
    out[size_t(world.rank())] = bb::time_bare_collective(world, cache.get(spec.groups), dev, spec);
  });
  return out[0];
}

TEST(BareCollective, AllGatherIsCheckedAndTimed) {
  bb::BareSpec s;
  s.op = "all_gather";
  s.groups = {{0, 2}, {3, 1}};  // order matters: never sorted
  s.bytes = 4096;
  s.iterations = 7;
  auto r = run(s, 4);
  EXPECT_TRUE(r.ok) << r.first_mismatch;
  EXPECT_EQ(r.ms.size(), 7u);
  EXPECT_EQ(r.suite_ms.size(), 7u);  // the same collective through the suite's phase recorder
  EXPECT_EQ(r.single_ms.size(), 7u);  // and one launch at a time
  EXPECT_EQ(r.in_place_ms.size(), 7u);
  EXPECT_EQ(r.group_size, 2);
  EXPECT_EQ(r.bytes_per_rank, 4096);
  EXPECT_EQ(r.coll_bytes, 8192);
}

TEST(BareCollective, ZeroPaddedAllReduceIsCheckedAndTimed) {
  for (auto dt : {bb::DType::bf16, bb::DType::fp16, bb::DType::fp32}) {
    bb::BareSpec s;
    s.op = "all_reduce";
    s.groups = {{0, 1, 2, 3}, {4, 5, 6, 7}};
    s.bytes = 1 << 14;
    s.dtype = dt;
    s.iterations = 3;
    auto r = run(s, 8);
    EXPECT_TRUE(r.ok) << r.first_mismatch;
    EXPECT_EQ(r.bytes_per_rank, 2 * 3 * (1 << 14) / 4);
    EXPECT_DOUBLE_EQ(r.bus_factor, 1.5);
  }
}

TEST(BareCollective, RanksOutsideEveryGroupStillTakePart) {
  bb::BareSpec s;
  s.op = "all_gather";
  s.groups = {{1, 2}};
  s.bytes = 64;
  s.iterations = 2;
  EXPECT_TRUE(run(s, 4).ok);
}

}  // namespace
