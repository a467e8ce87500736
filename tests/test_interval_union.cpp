// The union that turns a phase's kernel/copy intervals into GPU busy time.
#include "measure/interval_union.hpp"

#include <gtest/gtest.h>

using bb::Interval;
using bb::union_length;

TEST(IntervalUnion, EmptyIsZero) { EXPECT_EQ(union_length({}), 0u); }

TEST(IntervalUnion, DisjointIntervalsAdd) {
  EXPECT_EQ(union_length({{0, 10}, {20, 25}, {100, 101}}), 16u);
}

TEST(IntervalUnion, OverlapCountsOnce) {
  // Two streams running the same work: one duration, not two.
  EXPECT_EQ(union_length({{0, 100}, {0, 100}}), 100u);
  EXPECT_EQ(union_length({{0, 100}, {50, 150}}), 150u);
}

TEST(IntervalUnion, ContainedIntervalAddsNothing) {
  EXPECT_EQ(union_length({{0, 100}, {10, 20}, {30, 40}}), 100u);
}

TEST(IntervalUnion, TouchingIntervalsMerge) {
  EXPECT_EQ(union_length({{0, 10}, {10, 20}}), 20u);
}

TEST(IntervalUnion, OrderDoesNotMatter) {
  EXPECT_EQ(union_length({{50, 60}, {0, 10}, {5, 55}}), 60u);
}

TEST(IntervalUnion, ChainOfOverlapsMergesTransitively) {
  // The third interval overlaps only the merged span of the first two.
  EXPECT_EQ(union_length({{0, 10}, {8, 20}, {19, 30}, {40, 45}}), 35u);
}

TEST(IntervalUnion, EmptyAndReversedIntervalsCountNothing) {
  EXPECT_EQ(union_length({{5, 5}, {9, 3}, {0, 0}}), 0u);
  EXPECT_EQ(union_length({{9, 3}, {0, 4}}), 4u);
}

TEST(IntervalUnion, NanosecondTimestampsDoNotOverflow) {
  const uint64_t t0 = 1'700'000'000'000'000'000ull;  // CUPTI timestamps are ns since epoch
  EXPECT_EQ(union_length({{t0, t0 + 2'000'000}, {t0 + 1'000'000, t0 + 3'000'000}}), 3'000'000u);
}
