// The oracle has teeth: broken variants of the reference and of p2p are caught, mismatches are located,
// and the pattern is exact in every dtype.
#include <gtest/gtest.h>

#include <set>

#include "bridge_util.hpp"
#include "core/dtype.hpp"
#include "host_kernels.hpp"
#include "oracle/oracle.hpp"

namespace {

using bbtest::Layout;

const Layout kFanInCp2{8, {{"tp", 2}, {"dp", 4}}, {{"tp", 2}, {"cp", 2}, {"dp", 2}}};
const Layout kFanOutCp2{8, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 2}, {"dp", 4}}};
const Layout kEqualCp4{8, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 4}, {"dp", 2}}};
const Layout kFanInCp1{8, {{"tp", 2}, {"dp", 4}}, {{"tp", 4}, {"dp", 2}}};

bb::BridgeShape shape(bb::MemOrder mem, int64_t b = 4) {
  bb::BridgeShape s;
  s.mem = mem;
  s.b = b;
  s.s = 16;
  s.h = 8;
  return s;
}

class Teeth : public ::testing::TestWithParam<bb::MemOrder> {};

TEST_P(Teeth, MissingCpAllReduceIsCaught) {
  auto broken = bb::make_reference({/*skip_cp_reduce=*/true, false});
  for (const auto& l : {kFanInCp2, kFanOutCp2, kEqualCp4}) {
    std::string first;
    auto o = bbtest::run_checked(l, shape(GetParam()), *broken, &first);
    EXPECT_FALSE(o.ok);
    EXPECT_FALSE(o.failing_ranks.empty());
    // The partial gradient is zero where a sibling's chunks belong.
    EXPECT_NE(first.find("expected"), std::string::npos) << first;
    EXPECT_NE(first.find("got 0 (0x"), std::string::npos) << first;
  }
}

TEST_P(Teeth, WrongGatherOrderIsCaught) {
  auto broken = bb::make_reference({false, /*reverse_gather=*/true});
  for (const auto& l : {kFanInCp2, kFanOutCp2, kFanInCp1}) {
    std::string first;
    auto o = bbtest::run_checked(l, shape(GetParam()), *broken, &first);
    EXPECT_FALSE(o.ok) << "reversed gather order passed the oracle";
    EXPECT_NE(first.find("on rank"), std::string::npos) << first;
  }
}

// The exchange strategies' own ways to go wrong: a cell never sent, a cell sent to the receiver's
// CP sibling (it lands at the sibling's own chunk position: right sample, wrong sequence chunk).
TEST_P(Teeth, DroppedCellIsCaught) {
  auto broken = bb::make_p2p({/*drop_chunk=*/true, false});
  for (const auto& l : {kFanInCp2, kFanOutCp2, kEqualCp4, kFanInCp1}) {
    std::string first;
    auto o = bbtest::run_checked(l, shape(GetParam()), *broken, &first);
    EXPECT_FALSE(o.ok) << "a dropped cell passed the oracle";
    EXPECT_FALSE(o.failing_ranks.empty());
    EXPECT_NE(first.find("expected"), std::string::npos) << first;
  }
}

TEST_P(Teeth, CellSentToTheWrongCpSiblingIsCaught) {
  auto broken = bb::make_p2p({false, /*wrong_cp_sibling=*/true});
  for (const auto& l : {kFanInCp2, kFanOutCp2, kEqualCp4}) {
    std::string first;
    auto o = bbtest::run_checked(l, shape(GetParam()), *broken, &first);
    EXPECT_FALSE(o.ok) << "a cell delivered to the wrong CP sibling passed the oracle";
    EXPECT_NE(first.find("CP shard"), std::string::npos) << first;
  }
}

TEST_P(Teeth, CorrectStrategiesPassTheSameLayouts) {
  for (const auto& name : bb::strategy_names())
    for (const auto& l : {kFanInCp2, kFanOutCp2, kEqualCp4, kFanInCp1}) {
      std::string first;
      EXPECT_TRUE(bbtest::run_checked(l, shape(GetParam()), *bb::make_strategy(name), &first).ok) << name << ": " << first;
    }
}

INSTANTIATE_TEST_SUITE_P(MemOrders, Teeth, ::testing::Values(bb::MemOrder::bsh, bb::MemOrder::sbh),
                         [](const auto& i) { return std::string(bb::mem_order_name(i.param)); });

TEST(Oracle, VerifyLocatesAPlantedError) {
  bb::BridgeShape sh = shape(bb::MemOrder::sbh, 3);
  sh.dtype = bb::DType::fp16;
  bb::PatternGeom g = bb::pattern_geom(sh, 3, 2, -1, bb::kSaltActivation);
  std::vector<int64_t> table = {7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9};
  std::vector<uint16_t> t(size_t(bb::pattern_elems(g)));
  bb::host_fill_pattern(t.data(), g, table.data());
  EXPECT_EQ(bb::host_verify_pattern(t.data(), g, table.data()).mismatches, 0);
  // sbh [s][b][h]: seq 5, batch 1, hidden 2.
  const int64_t idx = (5 * 3 + 1) * 8 + 2;
  t[size_t(idx)] ^= 0x1;
  t[size_t(idx + 9)] ^= 0x1;
  auto r = bb::host_verify_pattern(t.data(), g, table.data());
  EXPECT_EQ(r.mismatches, 2);
  EXPECT_EQ(r.first_index, idx);
  std::string d = bb::describe_mismatch("dest", 3, g, r);
  EXPECT_NE(d.find("rank 3"), std::string::npos) << d;
  EXPECT_NE(d.find("batch 1, seq 5"), std::string::npos) << d;
  EXPECT_NE(d.find("hidden 2"), std::string::npos) << d;
}

// Issue 20: the host fill/verify work a row at a time with a table of bits; every element is
// still pattern_bits' value (both memory orders, every dtype, full tensors and CP shards, a
// table with empty slots).
TEST(Oracle, HostFillIsPatternBitsElementByElement) {
  for (auto mem : {bb::MemOrder::bsh, bb::MemOrder::sbh})
    for (auto dt : {bb::DType::bf16, bb::DType::fp16, bb::DType::fp32})
      for (int cp_rank : {-1, 1}) {
        bb::BridgeShape sh = shape(mem, 3);
        sh.dtype = dt;
        const bb::PatternGeom g = bb::pattern_geom(sh, 3, 2, cp_rank, bb::kSaltGradient);
        const std::vector<int64_t> table = {7, -1, 7, 7, 8, 8, -1, 8, 9, 9, 9, -1};
        std::vector<uint32_t> t(size_t(bb::pattern_elems(g)), 0xdeadbeef);
        bb::host_fill_pattern(t.data(), g, table.data());
        for (int64_t i = 0; i < bb::pattern_elems(g); ++i) {
          const uint32_t got = dt == bb::DType::fp32 ? t[size_t(i)] : reinterpret_cast<const uint16_t*>(t.data())[i];
          ASSERT_EQ(got, bb::pattern_bits(g, table.data(), i)) << bb::dtype_name(dt) << " element " << i;
        }
        EXPECT_EQ(bb::host_verify_pattern(t.data(), g, table.data()).mismatches, 0);
      }
}

TEST(Oracle, PatternIsExactAndNonZeroInEveryDtype) {
  std::set<int> seen;
  for (int64_t s = 0; s < 50; ++s)
    for (int64_t t = 0; t < 50; ++t) {
      int v = bb::pattern_value(s, t, 3, bb::kSaltActivation);
      ASSERT_NE(v, 0);
      ASSERT_LE(std::abs(v), 255);
      seen.insert(v);
      for (auto dt : {bb::DType::bf16, bb::DType::fp16, bb::DType::fp32}) {
        uint32_t bits = bb::small_int_bits(v, int(dt));
        ASSERT_EQ(bb::bits_to_float(bits, dt), float(v)) << bb::dtype_name(dt);
        ASSERT_EQ(bb::float_to_bits(float(v), dt), bits) << bb::dtype_name(dt);
      }
    }
  EXPECT_GT(seen.size(), 300u);  // values differ enough to tell samples apart
  // Different samples and salts give different patterns.
  int same = 0;
  for (int64_t h = 0; h < 256; ++h)
    same += bb::pattern_value(1, 2, h, bb::kSaltActivation) == bb::pattern_value(2, 2, h, bb::kSaltActivation);
  EXPECT_LT(same, 8);
}

TEST(Oracle, SumOfAPatternAndZerosIsExact) {
  for (auto dt : {bb::DType::bf16, bb::DType::fp16, bb::DType::fp32}) {
    const size_t es = bb::dtype_size(dt);
    std::vector<char> a(16 * es), z(16 * es, 0), out(16 * es);
    bb::PatternGeom g{};
    g.mem = 0; g.dtype = int(dt); g.b = 1; g.s_local = g.s_full = 2; g.h = 8; g.cp_size = 1; g.cp_rank = -1; g.salt = 1;
    std::vector<int64_t> table = {4, 4};
    bb::host_fill_pattern(a.data(), g, table.data());
    bb::host_sum(out.data(), {z.data(), a.data(), z.data()}, 16, int(dt));
    EXPECT_EQ(bb::host_verify_pattern(out.data(), g, table.data()).mismatches, 0) << bb::dtype_name(dt);
  }
}

}  // namespace
