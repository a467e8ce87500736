// The collective table: each row's bytes and bus factor (nccl-tests' conventions, semantics §10), and
// its bare call (fill, run, verify) correct over the host backend, for every op and group size;
// a verify that would pass anything is caught by a corrupted block.
#include <gtest/gtest.h>

#include <mutex>

#include "comm/collectives.hpp"
#include "comm/launch.hpp"

namespace {

TEST(CollectiveTable, OneRowPerOpWithNcclTestsBytes) {
  ASSERT_EQ(bb::collective_table().size(), 4u);
  for (const auto& row : bb::collective_table()) EXPECT_EQ(&bb::collective(row.name), &bb::collective(row.op));
  const int64_t m = 1200;
  for (int n = 1; n <= 8; ++n) {
    auto ag = bb::collective_bytes(bb::CollOp::all_gather, n, m);
    EXPECT_EQ(ag.bytes_per_rank, m * (n - 1));
    EXPECT_EQ(ag.coll_bytes, m * n);
    EXPECT_DOUBLE_EQ(ag.bus_factor, double(n - 1) / n);
    auto ar = bb::collective_bytes(bb::CollOp::all_reduce, n, m);
    EXPECT_EQ(ar.bytes_per_rank, 2 * (n - 1) * m / n);
    EXPECT_EQ(ar.coll_bytes, m);
    EXPECT_DOUBLE_EQ(ar.bus_factor, 2.0 * (n - 1) / n);
    auto aa = bb::collective_bytes(bb::CollOp::all_to_all, n, m);
    EXPECT_EQ(aa.bytes_per_rank, m * (n - 1));
    EXPECT_EQ(aa.coll_bytes, m * n);
    EXPECT_DOUBLE_EQ(aa.bus_factor, double(n - 1) / n);
    auto sr = bb::collective_bytes(bb::CollOp::send_recv, n, m);
    EXPECT_EQ(sr.bytes_per_rank, n > 1 ? m : 0);
    EXPECT_DOUBLE_EQ(sr.bus_factor, 1.0);
  }
  EXPECT_THROW(bb::collective("broadcast"), bb::Error);
}

// Runs a bare call of `op` in every group of `groups` (world ranks) on a host world; `corrupt`
// poisons part of one rank's output after the call. Returns the wrong elements over all ranks.
int64_t bare(bb::CollOp op, int world, const std::vector<std::vector<int>>& groups, bool corrupt, std::string* first) {
  int64_t wrong = 0;
  std::mutex mu;
  bb::LaunchOptions lo;
  lo.world = world;
  bb::launch(lo, [&](bb::Comm& w, bb::Device& dev) {
    auto g = w.split(groups);
    if (!g) return;
    bb::BareCall call(op, *g, dev, 42 * 2, bb::DType::bf16);  // 42 bf16: whole all-reduce blocks for n <= 6
    call.fill();
    call.run();
    if (corrupt && w.rank() == groups[0].back()) dev.poison(call.recv(), 2);
    std::string f;
    const int64_t n = call.verify(&f);
    std::lock_guard<std::mutex> lk(mu);
    wrong += n;
    if (!f.empty() && first->empty()) *first = f;
  });
  return wrong;
}

class BareCall : public ::testing::TestWithParam<bb::CollOp> {};

TEST_P(BareCall, IsCorrectForEveryGroupSize) {
  for (int n = 1; n <= 6; ++n) {
    std::vector<std::vector<int>> groups{{}, {}};  // two groups at once, interleaved, as a bridge's
    for (int r = 0; r < 2 * n; ++r) groups[size_t(r % 2)].push_back(r);
    std::string first;
    EXPECT_EQ(bare(GetParam(), 2 * n, groups, false, &first), 0) << "group size " << n << ": " << first;
  }
}

TEST_P(BareCall, VerifyCatchesACorruptedBlock) {
  std::string first;
  EXPECT_GT(bare(GetParam(), 4, {{0, 1, 2, 3}}, true, &first), 0);
  EXPECT_NE(first.find("block from world rank"), std::string::npos) << first;
}

INSTANTIATE_TEST_SUITE_P(Ops, BareCall,
                         ::testing::Values(bb::CollOp::all_gather, bb::CollOp::all_reduce, bb::CollOp::all_to_all,
                                           bb::CollOp::send_recv),
                         [](const auto& i) { return std::string(bb::collective(i.param).name); });

}  // namespace
