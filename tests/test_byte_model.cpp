// The byte model holds: over every valid layout of worlds 1..16, every dim order the plan accepts
// and rank offsets, each strategy's declared bytes per rank and phase equal what the rank really
// receives (counted by a wrapping Comm, and by RankBridge's own accounting), p2p receives exactly
// the per-rank minimum (harness/plan/exchange.hpp) on every rank, and alltoall moves the minimum
// plus the padding it counts. Every run also passes the oracle.
#include <gtest/gtest.h>

#include <set>

#include "bridge_util.hpp"
#include "counting_comm.hpp"
#include "plan/audit.hpp"
#include "plan/exchange.hpp"
#include "results/records_json.hpp"
#include "results/results.hpp"
#include "config/sweep.hpp"

namespace {

// A plan's rank positions: orders that give the same positions are the same bridge.
using PlanKey = std::tuple<int, int, std::vector<std::array<int, 5>>>;
PlanKey key_of(const bb::Plan& p) {
  std::vector<std::array<int, 5>> v;
  for (int r = p.offset(); r < p.offset() + p.size(); ++r)
    v.push_back({p.src_of(r).dp, p.src_of(r).tp, p.dest_of(r).dp, p.dest_of(r).tp, p.dest_of(r).cp});
  return {p.world, p.offset(), v};
}

// Every distinct plan of `world` ranks: its valid layouts in every accepted order, and those of
// smaller grids at offsets 1 and 3.
std::vector<bbtest::Layout> plans_of(int world) {
  const std::vector<std::vector<std::string>> src_orders{{"tp", "dp"}, {"dp", "tp"}};
  const std::vector<std::vector<std::string>> dest_orders{{"tp", "cp", "dp"}, {"cp", "tp", "dp"}, {"cp", "dp", "tp"}};
  std::vector<bbtest::Layout> out;
  std::set<PlanKey> seen;
  auto add = [&](const bbtest::Layout& l) {
    if (seen.insert(key_of(bbtest::plan_of(l))).second) out.push_back(l);
  };
  for (const auto& c : bb::all_layouts(world))
    for (const auto& so : src_orders)
      for (const auto& dord : dest_orders) add({world, c.src, c.dest, so, dord});
  for (int off : {1, 3})
    if (world - off >= 1)
      for (const auto& c : bb::all_layouts(world - off)) add({world, c.src, c.dest, {"tp", "dp"}, {"tp", "cp", "dp"}, off});
  return out;
}

struct RankRun {
  bb::RunResult r;
  bbtest::Traffic t;
};

int64_t total(const bb::ByteModel& m, int64_t bb::PhaseBytes::*f) {
  int64_t s = 0;
  for (const auto& p : m) s += p.*f;
  return s;
}

class ByteModel : public ::testing::TestWithParam<int> {};

TEST_P(ByteModel, EqualsCountedTrafficAndTheMinimum) {
  const int world = GetParam();
  std::vector<std::unique_ptr<bb::Strategy>> strategies;
  for (const auto& n : bb::strategy_names()) strategies.push_back(bb::make_strategy(n));
  int plans = 0;
  for (const auto& l : plans_of(world)) {
    const bb::Plan plan = bbtest::plan_of(l);
    bb::BridgeShape sh;
    sh.mem = plans % 2 ? bb::MemOrder::sbh : bb::MemOrder::bsh;
    sh.b = 2 * bb::unit_src_batch(plan);
    sh.s = 2 * plan.dest_cp;
    sh.h = 3;
    SCOPED_TRACE("world " + std::to_string(world) + " offset " + std::to_string(l.offset) + " src tp" +
                 std::to_string(plan.src_tp) + "dp" + std::to_string(plan.src_dp) + " -> dest tp" +
                 std::to_string(plan.dest_tp) + "cp" + std::to_string(plan.dest_cp) + "dp" +
                 std::to_string(plan.dest_dp) + " orders " + l.src_order[0] + "," + l.dest_order[0] + "," +
                 l.dest_order[1]);
    // Every strategy, one after the other, in one simulated world.
    std::vector<std::vector<RankRun>> runs(strategies.size(), std::vector<RankRun>(size_t(world)));
    bb::LaunchOptions lo;
    lo.world = world;
    lo.timeout_s = 60;
    bb::launch(lo, [&](bb::Comm& w, bb::Device& dev) {
      auto t = std::make_shared<bbtest::Traffic>();
      bbtest::CountingComm counted(w, t);
      bb::CommCache cache(counted);
      bb::RunOptions ro;
      ro.time = false;
      ro.nvtx = false;
      for (size_t k = 0; k < strategies.size(); ++k) {
        t->clear();
        auto& out = runs[k][size_t(w.rank())];
        out.r = bb::run_round_trip(plan, sh, *strategies[k], cache, dev, ro);
        out.t = *t;
      }
    });
    const int64_t cb = bb::cell_bytes(plan, sh.s, sh.h, int64_t(bb::dtype_size(sh.dtype)));
    for (size_t k = 0; k < strategies.size(); ++k) {
      const std::string& name = bb::strategy_names()[k];
      EXPECT_TRUE(runs[k][0].r.check.ok) << name << " fails the oracle";
      int64_t sent = 0, received = 0;
      for (int r = plan.offset(); r < plan.offset() + plan.size(); ++r) {
        const bb::ByteModel m = strategies[k]->byte_model(plan, sh, r);
        const RankRun& run = runs[k][size_t(r)];
        for (int p = 0; p < bb::kPhaseCount; ++p) {
          const std::string ph = bb::phase_name(bb::Phase(p));
          const auto it = run.t.received.find(ph);
          EXPECT_EQ(m[size_t(p)].bytes, it == run.t.received.end() ? 0 : it->second)
              << name << " rank " << r << " phase " << ph << ": declared vs counted";
          const bb::PhaseWork& w = run.r.work[size_t(p)];
          if (w.kind == "collective") {
            EXPECT_EQ(m[size_t(p)].bytes, w.bytes) << name << " rank " << r << " phase " << ph << ": declared vs accounted";
            EXPECT_EQ(m[size_t(p)].op, w.op) << name << " rank " << r << " phase " << ph;
          }
        }
        for (const auto& [ph, b] : run.t.sent) sent += b;
        for (const auto& [ph, b] : run.t.received) received += b;
        const bb::MinCells mc = bb::min_cells(plan, r, sh.b);
        const int64_t min = (mc.forward + mc.backward) * cb, moved = total(m, &bb::PhaseBytes::bytes);
        if (name == "p2p") {
          EXPECT_EQ(m[size_t(bb::Phase::fwd_comm)].bytes, mc.forward * cb) << "p2p rank " << r << " forward";
          EXPECT_EQ(m[size_t(bb::Phase::bwd_comm)].bytes, mc.backward * cb) << "p2p rank " << r << " backward";
          EXPECT_EQ(moved, min) << "p2p rank " << r;
          EXPECT_EQ(total(m, &bb::PhaseBytes::padding), 0);
        }
        if (name == "alltoall") {
          const int64_t pad = total(m, &bb::PhaseBytes::padding);
          EXPECT_GE(pad, 0);
          EXPECT_EQ(moved, min + pad) << "alltoall rank " << r << ": minimum + padding";
        }
        // Nothing moves below the minimum, whatever the strategy.
        EXPECT_GE(moved, min) << name << " rank " << r << " moves less than the minimum";
      }
      EXPECT_EQ(sent, received) << name << ": every byte sent is received";
    }
    ++plans;
  }
  std::printf("world %d: %d distinct plans x %zu strategies\n", world, plans, strategies.size());
  EXPECT_GT(plans, 0);
}

INSTANTIATE_TEST_SUITE_P(Worlds, ByteModel, ::testing::Range(1, 17));

// The closed forms of issue 10 for canonical orders (S = one src rank's tensor, k = scale,
// c = dest CP): fan-in (k-1)S/c + (c-1)S/c, fan-out S(1 - 1/(kc)), equal S(c-1)/c.
TEST(MinimumBytes, MatchTheClosedFormsOnCanonicalLayouts) {
  int checked = 0;
  for (int world = 1; world <= 16; ++world)
    for (const auto& l : bb::all_layouts(world)) {
      const bb::Plan p = l.plan();
      const int k = p.scale, c = p.dest_cp;
      const int64_t b = 2 * k, cells = b * bb::cells_per_sample(p);  // S in cells
      for (int r = 0; r < world; ++r) {
        const bb::MinCells m = bb::min_cells(p, r, b);
        const int64_t got = m.forward + m.backward;
        int64_t want = 0;  // times k*c, to stay in integers
        if (p.direction == bb::Direction::fan_in) want = (k - 1) * cells * k + (c - 1) * cells * k;
        if (p.direction == bb::Direction::fan_out) want = cells * (k * c - 1);
        if (p.direction == bb::Direction::equal) want = cells * (c - 1) * k;
        EXPECT_EQ(got * k * c, want) << l.name << " rank " << r;
        ++checked;
      }
    }
  EXPECT_GT(checked, 1000);
}

// The seeds, in numbers (S = 1): fan-in CP2 needs S, fan-out CP2 3S/4, fan-in CP1 S.
TEST(MinimumBytes, SeedLayouts) {
  const auto seeds = bb::seed_layouts();
  const double want[] = {1.0, 0.75, 1.0};
  for (size_t i = 0; i < seeds.size(); ++i) {
    const bb::Plan p = seeds[i].plan();
    const int64_t b = 4, S = b * bb::cells_per_sample(p);
    for (int r = 0; r < 8; ++r) {
      const bb::MinCells m = bb::min_cells(p, r, b);
      EXPECT_DOUBLE_EQ(double(m.forward + m.backward) / double(S), want[i]) << seeds[i].name << " rank " << r;
    }
  }
}

}  // namespace

namespace {

// alltoall takes both of its forms somewhere, and pads only where padding still beats the
// reference: per direction, its bytes (max over ranks) stay below the reference's whenever it
// pads. Pure byte models, no runs: every plan of worlds 1..16.
TEST(AllToAllForms, PadOnlyWhereItBeatsTheReferenceAndFallBackElsewhere) {
  const auto a2a = bb::make_strategy("alltoall"), ref = bb::make_strategy("reference");
  int padded = 0, fallback = 0, uniform = 0;
  for (int world = 1; world <= 16; ++world)
    for (const auto& l : plans_of(world)) {
      const bb::Plan p = bbtest::plan_of(l);
      bb::BridgeShape sh;
      sh.b = 2 * bb::unit_src_batch(p);
      sh.s = 2 * p.dest_cp;
      sh.h = 3;
      for (bool fwd : {true, false}) {
        const std::vector<bb::Phase> ref_phases =
            fwd ? std::vector<bb::Phase>{bb::Phase::fwd_comm} : std::vector<bb::Phase>{bb::Phase::bwd_cp, bb::Phase::bwd_comm};
        const bb::Phase ph = fwd ? bb::Phase::fwd_comm : bb::Phase::bwd_comm;
        int64_t mine = 0, theirs = 0, pad = 0;
        std::string op;
        for (int r = p.offset(); r < p.offset() + p.size(); ++r) {
          const auto m = a2a->byte_model(p, sh, r)[size_t(ph)];
          mine = std::max(mine, m.bytes);
          pad = std::max(pad, m.padding);
          if (!m.op.empty()) op = m.op;
          const auto rm = ref->byte_model(p, sh, r);
          int64_t t = 0;
          for (auto q : ref_phases) t += rm[size_t(q)].bytes;
          theirs = std::max(theirs, t);
        }
        if (op == "all_to_all" && pad > 0) {
          ++padded;
          EXPECT_LT(mine, theirs) << "padded all-to-all moves more than the reference, world " << world;
        }
        if (op == "all_to_all" && pad == 0) ++uniform;
        if (op == "send_recv") ++fallback;
      }
    }
  std::printf("alltoall directions: %d uniform, %d padded, %d grouped send/recv\n", uniform, padded, fallback);
  EXPECT_GT(uniform, 0);
  EXPECT_GT(padded, 0);
  EXPECT_GT(fallback, 0);
}

}  // namespace

namespace {

// The results writer's byte model on the seeds: issue 10's measured numbers (S = one src rank's
// tensor): fan-in CP2 reference 3S, fused 2S, minimum S; fan-out CP2 reference S, the others
// 3S/4 = the minimum; fan-in CP1 all S. p2p and alltoall move exactly the minimum there.
TEST(ByteModelJson, SeedNumbers) {
  bb::BridgeShape sh;
  sh.b = 4;
  sh.s = 64;
  sh.h = 8;
  const double S = double(sh.b * sh.s * sh.h * 2);
  const std::map<std::string, std::array<double, 3>> want{{"reference", {3, 1, 1}},
                                                          {"fused", {2, 0.75, 1}},
                                                          {"p2p", {1, 0.75, 1}},
                                                          {"alltoall", {1, 0.75, 1}}};
  const double minimum[] = {1, 0.75, 1};
  const auto seeds = bb::seed_layouts();
  for (const auto& [name, w] : want)
    for (size_t i = 0; i < seeds.size(); ++i) {
      const auto j = bb::byte_model_json(bb::byte_model_of(seeds[i].plan(), sh, *bb::make_strategy(name)));
      EXPECT_DOUBLE_EQ(j["comm_bytes_per_rank"].get<double>() / S, w[i]) << name << " " << seeds[i].name;
      EXPECT_DOUBLE_EQ(j["min_bytes_per_rank"].get<double>() / S, minimum[i]) << seeds[i].name;
      EXPECT_EQ(j["padding_bytes_per_rank"].get<int64_t>(), 0);
      if (name == "alltoall")  // uniform on the seeds: NCCL's own all-to-all runs
        for (const auto& ph : j["phases"]) EXPECT_EQ(ph["op"], "all_to_all") << seeds[i].name;
    }
}

}  // namespace
