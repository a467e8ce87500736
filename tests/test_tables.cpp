// The three tables keep their promise (issue 21 item 4): every collective op, NCCL path and
// backend has exactly one row with every field set, and what the suite does with an op, a path
// or a backend is read from its row: a path's requirements are checked from the row (a made-up
// row is refused for what its fields say), a backend launches through its row.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>

#include "comm/backend.hpp"
#include "comm/collectives.hpp"
#include "comm/launch.hpp"
#include "comm/nccl_path.hpp"
#include "core/error.hpp"
#include "rule_of.hpp"

namespace {

using bbtest::rule_of;

TEST(Tables, EveryCollectiveOpHasOneFullRow) {
  ASSERT_EQ(bb::collective_table().size(), size_t(bb::kCollOpCount));
  std::set<std::string> names;
  for (int i = 0; i < bb::kCollOpCount; ++i) {
    const bb::CollRow& r = bb::collective(bb::CollOp(i));
    EXPECT_EQ(int(r.op), i);
    ASSERT_TRUE(r.name && *r.name) << i;
    EXPECT_TRUE(names.insert(r.name).second) << r.name;
    EXPECT_EQ(&bb::collective(r.name), &r);
    EXPECT_TRUE(r.nccl_tests_program && *r.nccl_tests_program) << r.name;
    EXPECT_TRUE(r.bytes && r.latency_hops && r.shared_medium_factor && r.buffers && r.in_place_input && r.fill && r.run && r.verify) << r.name;
    for (int n = 1; n <= 8; ++n) {
      const int64_t m = 4096;
      const bb::CollBytes b = r.bytes(n, m);
      const bb::CollBuffers buf = r.buffers(n, m);
      EXPECT_EQ(r.latency_hops(n) == 0, n == 1) << r.name << " n=" << n;  // one rank: no link step
      // The output holds the call's nccl-tests size; in place, the input lies inside the output.
      EXPECT_GE(int64_t(buf.recv), b.coll_bytes) << r.name << " n=" << n;
      for (int rank = 0; rank < n; ++rank)
        EXPECT_LE(r.in_place_input(rank, m) + m, int64_t(buf.recv)) << r.name << " n=" << n;
    }
  }
}

TEST(Tables, EveryNcclPathHasOneFullRowInEnumOrder) {
  ASSERT_EQ(bb::parse_nccl_paths("all").size(), size_t(bb::kNcclPathCount));
  std::set<std::string> names;
  for (int i = 0; i < bb::kNcclPathCount; ++i) {
    const bb::NcclPathRow& r = bb::nccl_path_row(bb::NcclPath(i));
    EXPECT_EQ(int(r.path), i);
    ASSERT_TRUE(r.name && *r.name);
    EXPECT_TRUE(names.insert(r.name).second) << r.name;
    EXPECT_EQ(bb::parse_nccl_paths(r.name), std::vector<bb::NcclPath>{r.path});
    EXPECT_EQ(std::string(bb::nccl_path_name(r.path)), r.name);
    EXPECT_EQ(bb::nccl_cta_policy(r.path), r.cta_policy);
    // A path that asks anything of NCCL names the version that has it.
    EXPECT_EQ(r.min_nccl_version > 0, r.needs_nccl_communicators()) << r.name;
  }
  // Exactly one path asks nothing of NCCL: the default every backend can run.
  EXPECT_FALSE(bb::nccl_path_row(bb::NcclPath::default_path).needs_nccl_communicators());
  const std::string e = rule_of([] { bb::parse_nccl_paths("copy-engine"); });
  for (const std::string& n : names) EXPECT_NE(e.find(n), std::string::npos) << e;
}

TEST(Tables, EveryBackendHasOneFullRow) {
  std::set<std::string> names;
  std::set<int> auto_gpus;
  for (const bb::BackendTraits& b : bb::backends()) {
    ASSERT_TRUE(b.name && *b.name);
    EXPECT_TRUE(names.insert(b.name).second) << b.name;
    EXPECT_TRUE(auto_gpus.insert(b.auto_gpus).second) << b.name << ": auto could not choose";
    EXPECT_NE(b.launch, nullptr) << b.name;
    EXPECT_EQ(b.min_nccl_version > 0, b.nccl_communicators) << b.name;
    EXPECT_EQ(b.auto_gpus > 0, b.gpu) << b.name;
#ifdef BB_HAVE_CUDA
    EXPECT_EQ(b.nccl_version != nullptr, b.nccl_communicators) << b.name;
#else
    EXPECT_EQ(b.nccl_version, nullptr) << b.name << ": this build has no NCCL";
#endif
    if (b.processes) EXPECT_TRUE(b.one_gpu_per_rank) << b.name;
  }
  EXPECT_EQ(*auto_gpus.begin(), 0);  // auto always has a backend to fall back on
}

// check_nccl_path reads the row, not the path's name: made-up rows are refused for exactly what
// their fields ask, on every backend row.
TEST(Tables, APathsRequirementsAreCheckedFromItsRow) {
  const bb::NcclPathRow plain{bb::NcclPath::default_path, "made-up-plain", 0, bb::NcclRegistration::none, 0};
  const bb::NcclPathRow cta_only{bb::NcclPath::default_path, "made-up-cta", 23105, bb::NcclRegistration::none, 7};
  const bb::NcclPathRow window{bb::NcclPath::zero_cta, "made-up-window", 22100, bb::NcclRegistration::symmetric_window, 0};
  for (const bb::BackendTraits& b : bb::backends())
    for (const bb::NcclPathRow* r : {&plain, &cta_only, &window}) {
      const std::string e = rule_of([&] { bb::check_nccl_path(*r, b.name); });
      if (r->needs_nccl_communicators() && !b.nccl_communicators) {
        EXPECT_EQ(e.rfind("bad_flag: --nccl-path=" + std::string(r->name) + " needs the nccl backend; the " + b.name, 0), 0u)
            << e;
      } else {
        EXPECT_EQ(e, "") << r->name << " on " << b.name;
        // Too old by one release: refused, naming the row's version; the version itself passes.
        const std::string old = rule_of([&] { bb::check_nccl_path(*r, b.name, r->min_nccl_version - 1); });
        if (r->min_nccl_version > 0) EXPECT_EQ(old.rfind("nccl_too_old: --nccl-path=" + std::string(r->name), 0), 0u) << old;
        EXPECT_EQ(rule_of([&] { bb::check_nccl_path(*r, b.name, r->min_nccl_version); }), "") << r->name;
      }
    }
  // The real rows through the enum: the same answers as their rows give.
  for (int i = 0; i < bb::kNcclPathCount; ++i)
    for (const bb::BackendTraits& b : bb::backends())
      EXPECT_EQ(rule_of([&] { bb::check_nccl_path(bb::NcclPath(i), b.name); }),
                rule_of([&] { bb::check_nccl_path(bb::kNcclPaths[i], b.name); }));
}

// Comm::buffer_provider checks the path from its row before any backend code runs: on the host
// backend the default path gets plain buffers and every other path is refused.
TEST(Tables, BufferProvidersFollowThePathRow) {
  bb::LaunchOptions lo;
  lo.backend = "host";
  lo.world = 1;
  bb::launch(lo, [&](bb::Comm& world, bb::Device&) {
    for (const bb::NcclPathRow& r : bb::kNcclPaths) {
      if (!r.needs_nccl_communicators()) {
        EXPECT_EQ(world.buffer_provider(r.path), nullptr) << r.name;
      } else {
        EXPECT_EQ(rule_of([&] { world.buffer_provider(r.path); }).rfind("bad_flag: --nccl-path=" + std::string(r.name), 0), 0u);
      }
    }
  });
}

TEST(Tables, ABackendLaunchesThroughItsRow) {
  std::atomic<int> ranks{0};
  bb::LaunchOptions lo;
  lo.backend = "host";
  lo.world = 3;
  bb::launch(lo, [&](bb::Comm& w, bb::Device&) {
    EXPECT_EQ(std::string(w.backend()), "host");
    ++ranks;
  });
  EXPECT_EQ(ranks.load(), 3);
  lo.backend = "warp";
  const std::string e = rule_of([&] { bb::launch(lo, [](bb::Comm&, bb::Device&) {}); });
  EXPECT_EQ(e, "bad_backend: unknown backend 'warp' (expected host, emulate, nccl or auto)");
#ifndef BB_HAVE_CUDA
  for (const bb::BackendTraits& b : bb::backends())
    if (b.gpu) {
      lo.backend = b.name;
      EXPECT_EQ(rule_of([&] { bb::launch(lo, [](bb::Comm&, bb::Device&) {}); }),
                "no_cuda: backend '" + std::string(b.name) + "' needs a build with CUDA");
    }
  EXPECT_EQ(bb::resolve_backend("auto"), "host");  // no GPU in this build: the row with auto_gpus 0
#endif
}

TEST(Tables, TooOldNcclIsRefusedNamingBothVersions) {
  EXPECT_EQ(rule_of([] { bb::check_nccl_version("--backend=nccl", 21800, 21703); }),
            "nccl_too_old: --backend=nccl needs NCCL >= 2.18.0, this process runs NCCL 2.17.3");
  EXPECT_EQ(rule_of([] { bb::check_nccl_version("--backend=nccl", 21800, 21800); }), "");
  EXPECT_EQ(rule_of([] { bb::check_nccl_version("--backend=nccl", 21800, -1); }), "");  // unknown: not refused
}

}  // namespace
