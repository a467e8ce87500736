// The bridge on a GPU: the same strategies and oracle as the host path, over the CUDA device
// and the GPU backends (single-GPU emulation for multi-rank layouts; NCCL at world size 1).
// Skips with a message on a machine without a GPU.
#include <gtest/gtest.h>

#include <cstdlib>

#include "../bridge_util.hpp"
#include "run/round_trip.hpp"
#include "comm/launch.hpp"
#include "config/sweep.hpp"

namespace {

bool have_gpu() { return bb::gpu_count() > 0; }
#define REQUIRE_GPU() \
  if (!have_gpu()) GTEST_SKIP() << "no CUDA GPU: the GPU bridge tests run on the device machine (scripts/device.sh)"

bb::CheckOutcome run(const std::string& backend, const bb::LayoutCase& l, const bb::BridgeShape& sh,
                     const std::string& strategy, bool time = false) {
  bb::RunOptions ro;
  ro.time = time;
  ro.warmup = 1;
  ro.iterations = 2;
  return bbtest::run_world(backend, l.plan(), sh, *bb::make_strategy(strategy), ro).check;
}

bb::BridgeShape small_shape() {
  bb::BridgeShape sh;
  sh.b = 2;
  sh.s = 32;
  sh.h = 64;
  return sh;
}

std::vector<bb::LayoutCase> layouts() {
  auto v = bb::seed_layouts();
  // Ten more: fan-in, fan-out and equal, CP 1, 2 and 4, 8 and 16 ranks.
  for (const char* name : {"tp1dp8-tp2cp2dp2", "tp8dp1-tp1cp4dp2", "tp4dp2-tp2cp2dp2", "tp2dp4-tp1cp4dp2",
                           "tp1dp8-tp1dp8", "tp8dp1-tp1dp8", "tp4dp2-tp1cp2dp4", "tp2dp4-tp2cp4dp1"})
    v.push_back(bb::layouts_from_arg(name, 8).at(0));
  for (const char* name : {"tp2dp8-tp2cp2dp4", "tp8dp2-tp1cp4dp4"}) v.push_back(bb::layouts_from_arg(name, 16).at(0));
  return v;
}

struct P {
  bb::LayoutCase l;
  bb::MemOrder mem;
  bb::DType dt;
  std::string strategy;
};

void PrintTo(const P& p, std::ostream* os) {
  *os << p.l.name << " " << bb::mem_order_name(p.mem) << " " << bb::dtype_name(p.dt) << " " << p.strategy;
}

class EmulatedBridge : public ::testing::TestWithParam<P> {};

TEST_P(EmulatedBridge, PassesOracle) {
  REQUIRE_GPU();
  const P& p = GetParam();
  bb::Plan plan = p.l.plan();
  bb::BridgeShape sh;
  sh.mem = p.mem;
  sh.dtype = p.dt;
  sh.b = plan.direction == bb::Direction::fan_out ? 2 * plan.scale : 3;
  sh.s = 8 * 2 * plan.dest_cp;
  sh.h = p.dt == bb::DType::fp32 ? 257 : 264;  // one unaligned, one 16-byte aligned row
  auto o = run("emulate", p.l, sh, p.strategy, /*time=*/true);
  EXPECT_TRUE(o.ok) << o.first_mismatch;
  EXPECT_GE(o.tensors_checked, 2);
}

std::vector<P> params() {
  std::vector<P> v;
  for (const auto& l : layouts())
    for (auto mem : {bb::MemOrder::bsh, bb::MemOrder::sbh})
      for (auto dt : {bb::DType::bf16, bb::DType::fp32})
        for (const auto& s : bb::strategy_names()) v.push_back({l, mem, dt, s});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Layouts, EmulatedBridge, ::testing::ValuesIn(params()), [](const auto& i) {
  const P& p = i.param;
  std::string n = p.l.name + "_" + bb::mem_order_name(p.mem) + "_" + bb::dtype_name(p.dt) + "_" + p.strategy;
  for (auto& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

TEST(EmulatedBridge, BrokenStrategyIsCaughtOnTheGpu) {
  REQUIRE_GPU();
  bb::RunOptions ro;
  ro.time = false;
  auto broken = bb::make_reference({true, false});
  EXPECT_FALSE(bbtest::run_world("emulate", bb::seed_layouts()[0].plan(), small_shape(), *broken, ro).check.ok);
}

// World size 1 through NCCL (threads mode; the MPI mode runs this binary under mpirun -np 1).
TEST(NcclBridge, WorldOfOne) {
  REQUIRE_GPU();
  bb::LayoutCase l;
  l.name = "world1";
  l.world = 1;
  l.src = {{"tp", 1}, {"dp", 1}};
  l.dest = {{"tp", 1}, {"dp", 1}};
  for (auto mem : {bb::MemOrder::bsh, bb::MemOrder::sbh})
    for (const auto& s : bb::strategy_names()) {
      bb::BridgeShape sh;
      sh.mem = mem;
      sh.b = 2;
      sh.s = 64;
      sh.h = 128;
      auto o = run("nccl", l, sh, s, true);
      EXPECT_TRUE(o.ok) << o.first_mismatch;
    }
}

// CUDA-graph replay (nccl backend): the captured round trip replays with per-phase timings.
TEST(NcclBridge, GraphReplayWorldOfOne) {
  REQUIRE_GPU();
  bb::LayoutCase l;
  l.name = "world1";
  l.world = 1;
  l.src = {{"tp", 1}, {"dp", 1}};
  l.dest = {{"tp", 1}, {"dp", 1}};
  bb::RunOptions ro;
  ro.graph = true;
  ro.warmup = 2;
  ro.iterations = 5;
  bb::BridgeShape sh;
  sh.mem = bb::MemOrder::sbh;
  sh.b = 2;
  sh.s = 256;
  sh.h = 1024;
  for (const auto& name : bb::strategy_names()) {
    bb::RunResult r = bbtest::run_world("nccl", l.plan(), sh, *bb::make_strategy(name), ro);
    EXPECT_TRUE(r.check.ok) << r.check.first_mismatch;
    ASSERT_EQ(r.total_ms.size(), 5u);
    for (double t : r.total_ms) EXPECT_GT(t, 0.0);
    double phases = 0;
    for (const auto& p : r.phase_ms)
      for (double t : p) phases += t;
    // World 1 is equal DP with cp 1: the reference copies, the fused strategy hands the buffer
    // over and its graph holds no work at all.
    if (name == "reference") EXPECT_GT(phases, 0.0) << "marks inside the graph were not recorded at replay";
    else EXPECT_GE(phases, 0.0);
  }
}

TEST(EmulatedBridge, GraphModeIsRefusedClearly) {
  REQUIRE_GPU();
  bb::RunOptions ro;
  ro.graph = true;
  std::string rule;
  try {
    bbtest::run_world("emulate", bb::seed_layouts()[0].plan(), small_shape(), *bb::make_strategy("fused"), ro);
  } catch (const bb::Error& e) {
    rule = e.rule();
  }
  EXPECT_EQ(rule, "graph_unsupported");
}

}  // namespace
