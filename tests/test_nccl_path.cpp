// The NCCL path axis without a GPU: parsing, refusals on backends without NCCL, the version
// refusal, the path detector on synthetic CUPTI-like activity, and the GEMM exact case's host
// reference.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "comm/nccl_path.hpp"
#include "core/error.hpp"
#include "measure/gemm_reference.hpp"

namespace bb {
namespace {

ActivityRecord kernel(const std::string& name) { return {ActivityRecord::kernel, name, ActivityRecord::other, 0}; }
ActivityRecord copy(ActivityRecord::CopyKind k, int64_t bytes) { return {ActivityRecord::memcpy, "", k, bytes}; }

TEST(NcclPath, ParsesListsAndAll) {
  EXPECT_EQ(parse_nccl_paths("all").size(), 4u);
  auto v = parse_nccl_paths("zero-cta,default,zero-cta");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], NcclPath::zero_cta);
  EXPECT_EQ(v[1], NcclPath::default_path);
  for (NcclPath p : parse_nccl_paths("all")) EXPECT_EQ(parse_nccl_paths(nccl_path_name(p)).at(0), p);
  EXPECT_THROW(parse_nccl_paths("zero_cta"), Error);
  EXPECT_THROW(parse_nccl_paths(""), Error);
}

TEST(NcclPath, RefusesBackendsWithoutNccl) {
  for (const char* be : {"host", "emulate"})
    for (NcclPath p : {NcclPath::registered, NcclPath::symmetric, NcclPath::zero_cta}) {
      try {
        check_nccl_path(p, be);
        ADD_FAILURE() << "accepted " << nccl_path_name(p) << " on " << be;
      } catch (const Error& e) {
        EXPECT_EQ(e.rule(), "bad_flag");
        EXPECT_NE(std::string(e.what()).find(be), std::string::npos) << e.what();
      }
    }
  EXPECT_NO_THROW(check_nccl_path(NcclPath::default_path, "host"));
  EXPECT_NO_THROW(check_nccl_path(NcclPath::zero_cta, "nccl", 22803));
}

TEST(NcclPath, RefusesOldNccl) {
  try {
    check_nccl_path(NcclPath::zero_cta, "nccl", 22703);
    FAIL() << "2.27.3 accepted for zero-cta";
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "nccl_too_old");
    EXPECT_NE(std::string(e.what()).find("2.28.0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2.27.3"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(check_nccl_path(NcclPath::symmetric, "nccl", 22703));
  EXPECT_THROW(check_nccl_path(NcclPath::registered, "nccl", 21805), Error);
}

TEST(NcclPath, WindowRoundingGivesPageMultiples) {
  EXPECT_EQ(window_round(1), 4096);
  EXPECT_EQ(window_round(4096), 4096);
  EXPECT_EQ(window_round(4097), 8192);
  EXPECT_EQ(window_round(0), 0);
}

TEST(PathDetector, KernelOnlyPhaseIsNeverCopyEngine) {
  const auto a = count_activity({kernel("ncclDevKernel_AllGather_RING_LL(ncclDevKernelArgsStorage<4096ul>)")});
  EXPECT_EQ(a.nccl_kernels, 1);
  for (NcclPath req : parse_nccl_paths("all")) {
    const PathUsed u = detect_path_used(req, a, 8, false, true);
    EXPECT_EQ(u.used, "default") << nccl_path_name(req);
    EXPECT_FALSE(u.sm_free);
  }
  EXPECT_EQ(detect_path_used(NcclPath::registered, a, 8, true, true).used, "registered");
}

TEST(PathDetector, SymmetricKernelIsSymmetric) {
  const auto a = count_activity({kernel("ncclSymkDevKernel_AllGather_LL")});
  EXPECT_EQ(a.symmetric_kernels, 1);
  const PathUsed u = detect_path_used(NcclPath::zero_cta, a, 4, true, true);
  EXPECT_EQ(u.used, "symmetric");
  EXPECT_FALSE(u.sm_free);
}

TEST(PathDetector, MemcpyOnlyPhaseIsCopyEngine) {
  const auto a = count_activity({copy(ActivityRecord::ptop, 1 << 20), copy(ActivityRecord::ptop, 1 << 20),
                                 copy(ActivityRecord::dtod, 1 << 20)});
  EXPECT_EQ(a.peer_copies, 2);
  EXPECT_EQ(a.copy_bytes, 3 << 20);
  const PathUsed u = detect_path_used(NcclPath::zero_cta, a, 8, true, true);
  EXPECT_EQ(u.used, "zero-cta");
  EXPECT_TRUE(u.sm_free);
}

TEST(PathDetector, MixedPhaseIsNotSmFree) {
  // Peer copies beside a kernel (the suite's own copy kernel, or an NCCL kernel): SMs were used.
  for (const char* k : {"bb_copy_segments", "ncclDevKernel_AllReduce_Sum_bf16_RING_LL"}) {
    const auto a = count_activity({copy(ActivityRecord::ptop, 4096), kernel(k)});
    const PathUsed u = detect_path_used(NcclPath::zero_cta, a, 8, true, true);
    EXPECT_NE(u.used, "zero-cta") << k;
    EXPECT_FALSE(u.sm_free) << k;
  }
}

TEST(PathDetector, OneRankGroupIsNcclsShortcut) {
  const auto a = count_activity({copy(ActivityRecord::dtod, 1 << 20)});
  const PathUsed u = detect_path_used(NcclPath::zero_cta, a, 1, true, true);
  EXPECT_EQ(u.used, "one-rank-copy");
  EXPECT_TRUE(u.sm_free);
  EXPECT_EQ(detect_path_used(NcclPath::symmetric, PhaseActivity{}, 1, true, true).used, "one-rank-copy");
}

TEST(PathDetector, UnmeasuredIsUnknown) {
  const auto a = count_activity({copy(ActivityRecord::ptop, 4096)});
  const PathUsed u = detect_path_used(NcclPath::zero_cta, a, 8, true, false);
  EXPECT_EQ(u.used, "unknown");
  EXPECT_FALSE(u.sm_free);
  EXPECT_EQ(detect_path_used(NcclPath::zero_cta, PhaseActivity{}, 8, true, true).used, "unknown");
}

TEST(PathDetector, HostCopiesAloneAreNotCopyEngine) {
  const auto a = count_activity({copy(ActivityRecord::htod, 4)});
  EXPECT_EQ(detect_path_used(NcclPath::zero_cta, a, 8, true, true).used, "unknown");
}

TEST(Contention, Parses) {
  EXPECT_EQ(parse_contentions("none,gemm").size(), 2u);
  EXPECT_THROW(parse_contentions("cpu"), Error);
}

TEST(GemmReference, HostProductMatchesBruteForce) {
  const int64_t m = 5, n = 3, k = 7;
  const auto c = gemm_exact_reference(m, n, k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int s = 0;
      for (int64_t p = 0; p < k; ++p) s += gemm_exact_a(i, p) * gemm_exact_b(p, j);
      EXPECT_EQ(c[size_t(j * m + i)], s);
    }
}

TEST(GemmReference, SumsStayExactAndMismatchesAreCounted) {
  const int64_t m = 64, n = 48, k = kGemmExactMaxK;
  const auto want = gemm_exact_reference(m, n, k);
  bool nonzero = false;
  for (int32_t v : want) {
    EXPECT_LE(std::abs(v), 256);
    nonzero |= v != 0;
  }
  EXPECT_TRUE(nonzero);
  // The reference in bf16 bits passes; one flipped element and a NaN-poisoned (skipped) output fail.
  std::vector<uint16_t> c(want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const float f = float(want[i]);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    c[i] = uint16_t(u >> 16);  // integers up to 256 have at most 8 significant bits: exact
  }
  std::string first;
  EXPECT_EQ(gemm_exact_mismatches(c, m, n, k, &first), 0);
  c[17] ^= 0x0080;
  EXPECT_EQ(gemm_exact_mismatches(c, m, n, k, &first), 1);
  EXPECT_NE(first.find("C("), std::string::npos);
  std::vector<uint16_t> poison(c.size(), 0xFFFF);
  EXPECT_EQ(gemm_exact_mismatches(poison, m, n, k, nullptr), int64_t(poison.size()));
  EXPECT_THROW(gemm_exact_mismatches(c, m, n, 257, nullptr), Error);
}

TEST(GemmReference, InputsAreExactBf16) {
  const auto a = gemm_exact_a_bf16(3, 4);
  for (size_t i = 0; i < a.size(); ++i) {
    const int v = gemm_exact_a(int64_t(i % 3), int64_t(i / 3));
    EXPECT_EQ(a[i], bf16_of_small_int(v));
  }
  EXPECT_EQ(bf16_of_small_int(1), 0x3F80);
  EXPECT_EQ(bf16_of_small_int(-1), 0xBF80);
}

}  // namespace
}  // namespace bb

// The sweep file's "nccl_paths" key: names or "all", validated with the file.
#include <fstream>
#include <unistd.h>

#include "cli_util.hpp"
#include "config/sweep.hpp"

namespace {
// In a temp dir of this process, removed when it ends (each file was left in /tmp before).
std::string write_sweep(const std::string& body) {
  static bbtest::TempDir dir;
  static int n = 0;
  const std::string name = std::to_string(n++) + ".json";
  dir.write(name, body);
  return dir.file(name);
}

TEST(SweepFileNcclPaths, ReadsNamesAndAll) {
  auto a = bb::load_sweep_file(write_sweep(R"({"world": 8, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 64}],
                                              "nccl_paths": ["zero-cta", "default"]})"));
  EXPECT_EQ(a.named.at("nccl_path"), (std::vector<std::string>{"zero-cta", "default"}));
  auto all = bb::load_sweep_file(write_sweep(R"({"world": 8, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 64}],
                                                "nccl_paths": ["all"]})"));
  EXPECT_EQ(all.named.at("nccl_path").size(), 4u);
  auto none = bb::load_sweep_file(write_sweep(R"({"world": 8, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 64}]})"));
  EXPECT_EQ(none.named.at("nccl_path"), std::vector<std::string>{"default"});
}

TEST(SweepFileNcclPaths, BadPathIsReportedWithItsPlace) {
  try {
    bb::load_sweep_file(write_sweep(R"({"world": 8, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 64}],
                                       "nccl_paths": ["default", "ce"]})"));
    FAIL() << "a bad path was accepted";
  } catch (const bb::Error& e) {
    EXPECT_EQ(e.rule(), "bad_sweep_file");
    EXPECT_NE(std::string(e.what()).find("$.nccl_paths[1]"), std::string::npos) << e.what();
  }
}
}  // namespace

// CommCache keys communicators by groups and CTA policy; a backend without NCCL refuses a policy.
#include "run/round_trip.hpp"
#include "comm/launch.hpp"

namespace {
TEST(CommCacheCta, KeyedByGroupsAndPolicy) {
  bb::LaunchOptions lo;
  lo.backend = "host";
  lo.world = 2;
  lo.timeout_s = 30;
  std::vector<std::string> rules(2);
  std::vector<int> same(2, 0);
  bb::launch(lo, [&](bb::Comm& world, bb::Device&) {
    bb::CommCache cache(world);
    const std::vector<std::vector<int>> g{{0, 1}};
    bb::Comm* a = cache.get(g);
    bb::Comm* b = cache.get(g, 0);
    same[size_t(world.rank())] = a == b && a != nullptr;
    try {
      cache.get(g, bb::nccl_cta_policy(bb::NcclPath::zero_cta));
    } catch (const bb::Error& e) {
      rules[size_t(world.rank())] = e.rule() + ": " + e.what();
    }
    EXPECT_THROW(world.buffer_provider(bb::NcclPath::registered), bb::Error);
    EXPECT_EQ(world.buffer_provider(bb::NcclPath::default_path), nullptr);
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(same[size_t(r)], 1);
    EXPECT_NE(rules[size_t(r)].find("bad_flag: the host backend has no CTA policies"), std::string::npos) << rules[size_t(r)];
  }
}
}  // namespace
