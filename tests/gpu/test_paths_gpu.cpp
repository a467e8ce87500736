// NCCL's fast paths and the GEMM contention load on a GPU (NCCL world 1): every path x strategy
// through the oracle, eager and as graphs; the suite's registrations all undone; the GEMM's exact
// case; a contended round trip. Skips with a message on a machine without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "../bridge_util.hpp"
#include "run/round_trip.hpp"
#include "comm/launch.hpp"
#include "comm/nccl_comm.hpp"
#include "config/sweep.hpp"
#include "measure/bare_collective.hpp"
#include "measure/gemm_load.hpp"
#include "measure/gemm_reference.hpp"
#include "measure/gpu_activity.hpp"

namespace {

#define REQUIRE_GPU() \
  if (bb::gpu_count() == 0) GTEST_SKIP() << "no CUDA GPU: the NCCL path tests run on the device machine (scripts/device_paths.sh)"

bb::LayoutCase world1() {
  bb::LayoutCase l;
  l.name = "world1";
  l.world = 1;
  l.src = {{"tp", 1}, {"dp", 1}};
  l.dest = {{"tp", 1}, {"dp", 1}};
  return l;
}

bb::BridgeShape shape(bb::MemOrder mem, bb::DType dt) {
  bb::BridgeShape sh;
  sh.mem = mem;
  sh.dtype = dt;
  sh.b = 2;
  sh.s = 64;
  sh.h = dt == bb::DType::fp32 ? 257 : 264;  // one unaligned row, one 16-byte aligned
  return sh;
}

// Runs `body` on the one rank of an NCCL world of 1, with one CommCache for every config it runs
// (as bridge_bench does: cached communicators, registrations per config).
template <class F>
void in_world_of_one(F body) {
  bb::LaunchOptions lo;
  lo.backend = "nccl";
  lo.world = 1;
  lo.timeout_s = 60;
  bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
    bb::CommCache cache(world);
    body(cache, dev);
  });
}

void expect_no_live_registrations(const char* when) {
  const auto c = bb::nccl_registration_counts();
  EXPECT_EQ(c.live(), 0) << when << ": registers " << c.registers << ", deregisters " << c.deregisters << ", windows "
                         << c.windows << ", window deregisters " << c.window_deregisters;
  EXPECT_EQ(c.mem_allocs, c.mem_frees) << when;
}

// Every path x strategy x memory order x dtype passes the oracle and times; at world 1 NCCL
// takes its one-rank shortcut, so no phase may claim the copy engines or a symmetric kernel.
TEST(NcclPaths, EveryPathAndStrategyPassesOracleAtWorldOne) {
  REQUIRE_GPU();
  std::string why;
  auto cupti = bb::start_gpu_activity(&why);
  const bb::Plan plan = world1().plan();
  in_world_of_one([&](bb::CommCache& cache, bb::Device& dev) {
  for (bb::NcclPath path : bb::parse_nccl_paths("all"))
    for (const auto& s : bb::strategy_names())
      for (auto mem : {bb::MemOrder::bsh, bb::MemOrder::sbh})
        for (auto dt : {bb::DType::bf16, bb::DType::fp32}) {
          bb::RunOptions ro;
          ro.warmup = 1;
          ro.iterations = 3;
          ro.nccl_path = path;
          ro.cupti = cupti.get();
          const bb::RunResult r = bb::run_round_trip(plan, shape(mem, dt), *bb::make_strategy(s), cache, dev, ro);
          const std::string what = std::string(bb::nccl_path_name(path)) + " " + s + " " + bb::mem_order_name(mem) + " " +
                                   bb::dtype_name(dt);
          EXPECT_TRUE(r.check.ok) << what << ": " << r.check.first_mismatch;
          EXPECT_EQ(r.total_ms.size(), 3u) << what;
          EXPECT_EQ(r.path_registered, path != bb::NcclPath::default_path) << what;
          if (path != bb::NcclPath::default_path) EXPECT_GE(r.path_setup_ms, 0.0) << what;
          for (int p = 0; p < bb::kPhaseCount; ++p) {
            const auto& w = r.work[size_t(p)];
            if (!w.used || w.kind != "collective") continue;
            const auto& u = r.path_used[size_t(p)];
            EXPECT_NE(u.used, "zero-cta") << what << " " << bb::phase_name(bb::Phase(p)) << ": " << u.evidence;
            EXPECT_NE(u.used, "symmetric") << what << " " << bb::phase_name(bb::Phase(p)) << ": " << u.evidence;
            if (cupti) EXPECT_EQ(u.used, "one-rank-copy") << what << ": " << u.evidence;
          }
          expect_no_live_registrations(what.c_str());
        }
  });
}

TEST(NcclPaths, GraphModeOnEveryPath) {
  REQUIRE_GPU();
  for (bb::NcclPath path : bb::parse_nccl_paths("all"))
    for (const auto& s : bb::strategy_names()) {
      bb::RunOptions ro;
      ro.graph = true;
      ro.warmup = 1;
      ro.iterations = 3;
      ro.nccl_path = path;
      const bb::RunResult r =
          bbtest::run_world("nccl", world1().plan(), shape(bb::MemOrder::sbh, bb::DType::bf16), *bb::make_strategy(s), ro);
      EXPECT_TRUE(r.check.ok) << bb::nccl_path_name(path) << " " << s << ": " << r.check.first_mismatch;
      EXPECT_EQ(r.total_ms.size(), 3u);
      for (double t : r.total_ms) EXPECT_GT(t, 0.0);
    }
  expect_no_live_registrations("after the graph configs");
}

// 100 configs over the paths, checked only (each allocates, registers, runs, deregisters, frees):
// not one registration of the suite's may outlive its config.
TEST(NcclPaths, RegistrationCountReturnsToZeroAfterHundredConfigs) {
  REQUIRE_GPU();
  const auto before = bb::nccl_registration_counts();
  int configs = 0;
  const bb::Plan plan = world1().plan();
  in_world_of_one([&](bb::CommCache& cache, bb::Device& dev) {
  for (int rep = 0; configs < 100; ++rep)
    for (bb::NcclPath path : bb::parse_nccl_paths("registered,symmetric,zero-cta,default"))
      for (const auto& s : bb::strategy_names()) {
        if (configs == 100) break;
        bb::RunOptions ro;
        ro.time = rep % 5 == 0;  // some timed (several buffer sets), most only checked
        ro.warmup = 0;
        ro.iterations = 1;
        ro.nccl_path = path;
        auto sh = shape(rep % 2 ? bb::MemOrder::bsh : bb::MemOrder::sbh, bb::DType::bf16);
        sh.b = 1 + rep % 3;
        EXPECT_TRUE(bb::run_round_trip(plan, sh, *bb::make_strategy(s), cache, dev, ro).check.ok);
        ++configs;
      }
  });
  EXPECT_EQ(configs, 100);
  const auto after = bb::nccl_registration_counts();
  EXPECT_GT(after.registers - before.registers, 0) << "no ncclCommRegister call: the registered path never ran";
  EXPECT_GT(after.windows - before.windows, 0) << "no ncclCommWindowRegister call: the symmetric paths never ran";
  expect_no_live_registrations("after 100 configs");
}

// World 1 has no collective phase in the bridge (tp1dp1 -> tp1dp1 copies locally), so the bare
// collectives are where NCCL runs at world 1: on every path they pass their check, and the path
// detector must see NCCL's one-rank shortcut, never the copy engines or a symmetric kernel.
TEST(NcclPaths, BareCollectivesFollowThePath) {
  REQUIRE_GPU();
  std::string why;
  auto cupti = bb::start_gpu_activity(&why);
  for (bb::NcclPath path : bb::parse_nccl_paths("all"))
    for (const char* op : {"all_gather", "all_reduce"}) {
      bb::BareSpec spec;
      spec.op = op;
      spec.groups = {{0}};
      spec.bytes = 1 << 20;
      spec.warmup = 1;
      spec.iterations = 2;
      spec.nccl_path = path;
      spec.cupti = cupti.get();
      spec.phase = bb::Phase::fwd_comm;
      if (cupti) cupti->take_busy_ms();  // start from nothing
      bb::BareResult r;
      bb::LaunchOptions lo;
      lo.backend = "nccl";
      lo.world = 1;
      lo.timeout_s = 60;
      bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
        bb::CommCache cache(world);
        r = bb::time_bare_collective(world, cache.get(spec.groups, bb::nccl_cta_policy(path)), dev, spec);
      });
      EXPECT_TRUE(r.ok) << bb::nccl_path_name(path) << " " << op << ": " << r.first_mismatch;
      EXPECT_EQ(r.wrong, 0);
      if (!cupti) continue;
      cupti->take_busy_ms();
      bb::PhaseActivity a;
      for (const auto& [key, c] : cupti->last_counts())
        if (key.first == uint64_t(bb::Phase::fwd_comm) + 1) a.merge(c);
      const bb::PathUsed u = detect_path_used(path, a, 1, path != bb::NcclPath::default_path, true);
      EXPECT_EQ(u.used, "one-rank-copy") << u.evidence;
      EXPECT_EQ(a.symmetric_kernels, 0) << u.evidence;
      std::sort(r.suite_ms.begin(), r.suite_ms.end());
      std::printf("bare %s %s at world 1: suite median %.4f ms, path used %s%s (%s)\n", op, bb::nccl_path_name(path),
                  r.suite_ms.empty() ? 0.0 : r.suite_ms[r.suite_ms.size() / 2], u.used.c_str(),
                  u.sm_free ? ", SM-free" : "", u.evidence.c_str());
    }
  expect_no_live_registrations("after the bare collectives");
}

// The path detector's evidence from real CUPTI records: a phase with only a device-to-device
// memcpy, one with only a kernel (the suite's sum), one with both, and an NCCL all-gather.
TEST(NcclPaths, CuptiCountsKernelsAndCopiesPerPhase) {
  REQUIRE_GPU();
  std::string why;
  auto cupti = bb::start_gpu_activity(&why);
  if (!cupti) GTEST_SKIP() << "CUPTI unavailable: " << why;
  in_world_of_one([&](bb::CommCache& cache, bb::Device& dev) {
    const size_t n = 1 << 20;
    void* a = dev.alloc(n);
    void* b = dev.alloc(n);
    auto* st = static_cast<cudaStream_t>(dev.native_stream());
    cupti->take_busy_ms();
    cupti->push_phase(1);
    ASSERT_EQ(cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice, st), cudaSuccess);
    cupti->pop_phase();
    cupti->push_phase(2);
    dev.sum(b, {a, a}, int64_t(n / 2), bb::DType::bf16);
    cupti->pop_phase();
    cupti->push_phase(3);
    ASSERT_EQ(cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice, st), cudaSuccess);
    dev.sum(b, {a, a}, int64_t(n / 2), bb::DType::bf16);
    cupti->pop_phase();
    dev.synchronize();
    cupti->take_busy_ms();
    std::map<uint64_t, bb::PhaseActivity> by;
    for (const auto& [key, c] : cupti->last_counts()) by[key.first].merge(c);
    EXPECT_EQ(by[1].device_copies, 1);
    EXPECT_EQ(by[1].other_kernels + by[1].nccl_kernels, 0);
    EXPECT_EQ(by[1].copy_bytes, int64_t(n));
    EXPECT_EQ(by[2].other_kernels, 1);
    EXPECT_EQ(by[2].device_copies + by[2].peer_copies, 0);
    EXPECT_EQ(by[3].other_kernels, 1);
    EXPECT_EQ(by[3].device_copies, 1);
    // As a two-rank group: only the memcpy-only phase may be called the copy-engine path.
    EXPECT_EQ(bb::detect_path_used(bb::NcclPath::zero_cta, by[1], 2, true, true).used, "zero-cta");
    EXPECT_FALSE(bb::detect_path_used(bb::NcclPath::zero_cta, by[2], 2, true, true).sm_free);
    EXPECT_NE(bb::detect_path_used(bb::NcclPath::zero_cta, by[3], 2, true, true).used, "zero-cta");
    EXPECT_FALSE(bb::detect_path_used(bb::NcclPath::zero_cta, by[3], 2, true, true).sm_free);
    dev.release(a);
    dev.release(b);
    (void)cache;
  });
}

TEST(GemmLoadGpu, ExactCaseMatchesHostProduct) {
  REQUIRE_GPU();
  bb::GemmLoad load(0, 2048);
  std::string first;
  EXPECT_EQ(load.check_exact(1024, 512, bb::kGemmExactMaxK, &first), 0) << first;
  EXPECT_EQ(load.check_exact(129, 67, 200, &first), 0) << first;  // odd sizes
}

TEST(GemmLoadGpu, AloneIsComputeBound) {
  REQUIRE_GPU();
  bb::GemmLoad load(0, 8192);
  const bb::GemmStats s = load.run_alone(300);
  EXPECT_GT(s.gemms, 5.0);
  EXPECT_GT(s.window_ms, 250.0);
  // A bf16 8192^3 GEMM on a data-centre GPU runs at hundreds of TFLOP/s; 50 catches a GEMM that
  // did not run, ran in fp32, or was counted wrong.
  EXPECT_GT(s.tflops, 50.0) << s.gemms << " GEMMs in " << s.window_ms << " ms";
  std::printf("gemm alone: %.1f TFLOP/s (%.1f GEMMs in %.1f ms)\n", s.tflops, s.gemms, s.window_ms);
}

class Adapter final : public bb::ConcurrentLoad {
 public:
  explicit Adapter(bb::GemmLoad& l) : l_(l) {}
  void start() override { l_.start(); }
  bb::LoadWindow stop() override { return of(l_.stop()); }
  bb::LoadWindow alone(double ms) override { return of(l_.run_alone(ms)); }

 private:
  static bb::LoadWindow of(const bb::GemmStats& s) { return {s.gemms, s.window_ms, s.tflops}; }
  bb::GemmLoad& l_;
};

TEST(GemmLoadGpu, ContendedRoundTripReportsBoth) {
  REQUIRE_GPU();
  bb::GemmLoad load(0, 4096);
  Adapter a(load);
  for (bb::NcclPath path : {bb::NcclPath::default_path, bb::NcclPath::zero_cta}) {
    bb::RunOptions ro;
    ro.warmup = 2;
    ro.iterations = 10;
    ro.nccl_path = path;
    ro.contention = &a;
    ro.load_alone_ms = 100;
    auto sh = shape(bb::MemOrder::sbh, bb::DType::bf16);
    sh.s = 1024;
    sh.h = 4096;
    const bb::RunResult r = bbtest::run_world("nccl", world1().plan(), sh, *bb::make_strategy("reference"), ro);
    ASSERT_TRUE(r.check.ok) << r.check.first_mismatch;
    EXPECT_TRUE(r.contended);
    EXPECT_EQ(r.contended_total_ms.size(), 10u);
    EXPECT_GT(r.load_alone_tflops, 0.0);
    EXPECT_GT(r.load_under_tflops, 0.0);
    EXPECT_GE(r.load_lost_ms_per_iter, 0.0);
    std::printf("%s: idle %.3f ms, under gemm %.3f ms; gemm %.0f -> %.0f TFLOP/s, lost %.3f ms/round trip\n",
                bb::nccl_path_name(path), r.total_ms.empty() ? 0 : r.total_ms[0], r.contended_total_ms[0],
                r.load_alone_tflops, r.load_under_tflops, r.load_lost_ms_per_iter);
  }
  expect_no_live_registrations("after the contended configs");
}

}  // namespace
