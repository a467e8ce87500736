// The cost model (harness/model/, issue 22): topology placement, fitting on synthetic data with a
// known answer, readers of nccl-tests and results JSON, bytes per link class, structure of a
// prediction against the strategies' own declarations, and the bridge-plan --predict CLI.
#include <chrono>
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "model/attach.hpp"
#include "model/calibration_io.hpp"
#include "model/predict.hpp"
#include "model/reorder.hpp"

namespace {

using namespace bb;

LayoutSpec seed_fan_in_cp2(int world = 8, int offset = 0) {
  LayoutSpec l;
  l.world = world;
  l.offset = offset;
  l.src = {{"tp", 2}, {"dp", 4}};
  l.dest = {{"tp", 2}, {"cp", 2}, {"dp", 2}};
  l.src_order = l.dest_order = {"tp", "cp", "pp", "dp"};
  return l;
}

BridgeShape shape(int64_t b = 2) {
  BridgeShape sh;
  sh.b = b;
  sh.s = 1024;
  sh.h = 1024;
  return sh;
}

TEST(ModelTopology, RanksArePlacedInOrderOnNodes) {
  const Topology t = make_topology("nodes", 4);
  EXPECT_EQ(t.node_of(3), 0);
  EXPECT_EQ(t.node_of(4), 1);
  EXPECT_FALSE(t.crosses_nodes({0, 1, 2, 3}));
  EXPECT_TRUE(t.crosses_nodes({2, 4}));
  EXPECT_EQ(t.link_of({0, 3}), LinkClass::nvlink);
  EXPECT_EQ(t.link_of({3, 4}), LinkClass::network);
  EXPECT_EQ(t.off_node_peers({0, 1, 4, 5, 8}, 0), 3);
  EXPECT_EQ(make_topology("shared", 4).link_of({3, 4}), LinkClass::shared);
  EXPECT_EQ(make_topology("socket", 4).link_of({0, 1}), LinkClass::socket);
  EXPECT_FALSE(make_topology("shared", 1).crosses_nodes({0, 7}));  // one GPU: no node boundary
  try {
    make_topology("torus", 8);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "bad_topology");
  }
}

// Points drawn from t = alpha x hops + bytes / beta: the fit must give alpha and beta back and
// residuals of zero, whatever the sizes span (1 KiB to 1 GiB: the weights keep small sizes in).
TEST(ModelFit, RecoversAKnownAlphaAndBeta) {
  for (CollOp op : {CollOp::all_gather, CollOp::all_reduce}) {
    std::vector<FitPoint> pts;
    for (int n : {2, 4, 8})
      for (double bytes = 1024; bytes <= double(1 << 30); bytes *= 8) {
        FitPoint p;
        p.op = op;
        p.group_size = n;
        p.link_bytes = bytes;
        p.measured_us = 7.5 * latency_hops(op, n) + bytes / (250.0 * 1e3);
        pts.push_back(p);
      }
    const LinkFit f = fit_link(pts);
    EXPECT_NEAR(f.alpha_us, 7.5, 1e-6);
    EXPECT_NEAR(f.beta_GBps, 250.0, 1e-6);
    EXPECT_TRUE(f.calibrated);
    ASSERT_EQ(f.points.size(), pts.size());
    for (const auto& p : f.points) EXPECT_NEAR(p.residual, 0.0, 1e-9);
  }
}

// Noise on the largest sizes alone must not drag the small sizes' fit: relative weights.
TEST(ModelFit, LargeSizesDoNotSwampSmallOnes) {
  std::vector<FitPoint> pts;
  for (double bytes = 1 << 20; bytes <= double(1LL << 31); bytes *= 2) {
    FitPoint p;
    p.link_bytes = bytes;
    p.measured_us = 10 + bytes / 300e3;
    if (bytes >= double(1 << 30)) p.measured_us *= 1.05;  // 5% off at the two largest sizes
    pts.push_back(p);
  }
  const LinkFit f = fit_link(pts);
  EXPECT_LT(std::fabs(f.points.front().residual), 0.02);  // 1 MiB still within 2%
}

TEST(ModelFit, NegativeLatencyIsRefitWithoutIt) {
  std::vector<FitPoint> pts;
  for (double bytes : {1e6, 2e6, 4e6}) {
    FitPoint p;
    p.link_bytes = bytes;
    p.measured_us = bytes / 100e3 - (bytes == 1e6 ? 1.0 : 0.0);  // slightly superlinear: free alpha < 0
    pts.push_back(p);
  }
  const LinkFit f = fit_link(pts);
  EXPECT_EQ(f.alpha_us, 0.0);
  EXPECT_GT(f.beta_GBps, 0.0);
}

TEST(ModelCalibration, ReadsNcclTestsTextAsTheBridgePlacesIt) {
  Measurements m;
  read_nccl_tests_text(bbtest::slurp(std::string(BB_TEST_DATA) + "/nccl_tests/nt_all_reduce.txt"), "nt_all_reduce.txt", m);
  ASSERT_EQ(m.points.size(), 12u);
  const FitPoint& p = m.points.front();
  EXPECT_EQ(p.op, CollOp::all_reduce);
  EXPECT_EQ(p.group_size, 2);
  EXPECT_EQ(p.link, LinkClass::nvlink);             // two ranks on one host
  EXPECT_DOUBLE_EQ(p.link_bytes, 1048576.0);        // 2(n-1)/n of the 1 MiB buffer
  EXPECT_DOUBLE_EQ(p.measured_us, 15.25);           // in place: the bridge's placement
  Measurements g;
  read_nccl_tests_text(bbtest::slurp(std::string(BB_TEST_DATA) + "/nccl_tests/nt_all_gather.txt"), "ag", g);
  EXPECT_DOUBLE_EQ(g.points.front().link_bytes, 524288.0);  // (n-1)/n of the 1 MiB output
  EXPECT_DOUBLE_EQ(g.points.front().measured_us, 15.03);    // out of place
}

TEST(ModelCalibration, ReadsNcclTestsJson) {
  nlohmann::json j = {{"version", 1},
                      {"args", {"./build/alltoall_perf", "-b", "1M"}},
                      {"config", {{"ngpus", 2},
                                  {"devices", {{{"rank", 0}, {"hostname", "a"}}, {{"rank", 1}, {"hostname", "b"}}}}}},
                      {"results", nlohmann::json::array()}};
  for (int64_t size : {1 << 20, 1 << 24})
    j["results"].push_back({{"size", size},
                            {"out_of_place", {{"time", 10.0 + double(size) / 20e3}, {"alg_bw", 1}, {"bus_bw", 1}}},
                            {"in_place", {{"time", 1.0}}},
                            {"experiment_name", "alltoall_perf"}});
  Measurements m;
  read_nccl_tests_json(j, "a2a.json", m);
  ASSERT_EQ(m.points.size(), 2u);
  EXPECT_EQ(m.points[0].op, CollOp::all_to_all);
  EXPECT_EQ(m.points[0].link, LinkClass::network);  // two hosts
  EXPECT_DOUBLE_EQ(m.points[0].link_bytes, double(1 << 19));
  EXPECT_DOUBLE_EQ(m.points[0].measured_us, 10.0 + double(1 << 20) / 20e3);
}

TEST(ModelCalibration, ReadsAResultsJsonsBareCollectivesOnTheSharedMedium) {
  nlohmann::json r = {{"schema", "bridgebench/results"},
                      {"environment", {{"backend", "emulate"}, {"copy_bandwidth_GBps", 3000.0}}},
                      {"collectives", nlohmann::json::array()}};
  for (int k = 1; k <= 2; ++k)
    r["collectives"].push_back({{"id", "x" + std::to_string(k)}, {"op", "all_reduce"}, {"group_size", 2}, {"groups", 4},
                                {"bytes_per_rank", 1000 * k}, {"median_ms", 9.0}, {"in_place_median_ms", 0.01 * k},
                                {"correct", true}});
  Measurements m;
  read_results_collectives(r, "r.json", m);
  ASSERT_EQ(m.points.size(), 2u);
  EXPECT_EQ(m.points[0].link, LinkClass::shared);
  // Every rank of every group on the one GPU (2 x 4), each summing 2 inputs into 1 output (1.5
  // copies' worth of the message) and, in place, copying the sum back over its input (staged):
  // 2.5 x the message against the ring's 1 x (medium_bytes_factor).
  EXPECT_DOUBLE_EQ(m.points[0].link_bytes, 20000.0);
  EXPECT_DOUBLE_EQ(m.points[0].measured_us, 10.0);   // in place, as the bridge calls it
  EXPECT_TRUE(m.copy.calibrated);
  EXPECT_DOUBLE_EQ(m.copy.copy_GBps, 3000.0);
}

TEST(ModelCalibration, MissingOpsBorrowAndUnknownLinksUseTheLabelledDefault) {
  Calibration c;
  LinkFit ag;
  ag.alpha_us = 1;
  ag.beta_GBps = 100;
  ag.calibrated = true;
  c.fits[{CollOp::all_gather, LinkClass::nvlink}] = ag;
  EXPECT_EQ(c.lookup(CollOp::send_recv, LinkClass::nvlink).beta_GBps, 100);
  EXPECT_NE(c.lookup(CollOp::send_recv, LinkClass::nvlink).source.find("borrowed"), std::string::npos);
  EXPECT_FALSE(c.lookup(CollOp::all_reduce, LinkClass::nvlink).calibrated);  // default, labelled
  EXPECT_FALSE(c.lookup(CollOp::all_gather, LinkClass::network).calibrated);
}

// Structure: the model prices exactly the strategy's declared collectives (phase, op, groups)
// with the collective table's bytes, and each local phase the strategy's own run enters.
TEST(ModelPredict, PricesTheDeclaredCollectivesWithTheTablesBytes) {
  const Plan p = plan_of(seed_fan_in_cp2());
  const BridgeShape sh = shape();
  const Calibration c = default_calibration();
  for (const auto& name : strategy_names()) {
    const auto s = make_strategy(name);
    const StrategyPrediction sp = predict_strategy(*s, p, sh, make_topology("nodes", 8), c);
    for (const auto& u : s->collectives(p, sh)) {
      auto it = std::find_if(sp.phases.begin(), sp.phases.end(), [&](const PhasePrediction& x) { return x.phase == u.phase; });
      ASSERT_NE(it, sp.phases.end()) << name << " " << phase_name(u.phase);
      EXPECT_EQ(it->op, collective(u.op).name);
      EXPECT_EQ(it->groups, int(u.groups.size()));
      const int n = int(u.groups[0].size());
      EXPECT_EQ(it->bytes_per_link.at("nvlink"), collective_bytes(u.op, n, u.msg_bytes).bytes_per_rank);
      EXPECT_NEAR(it->ms - it->wait_ms - sp.floor_ms,
                  c.lookup(u.op, LinkClass::nvlink).time_us(u.op, n, double(collective_bytes(u.op, n, u.msg_bytes).bytes_per_rank)) / 1e3, 1e-12);
    }
    // The round trip: its own timer floor plus each phase's work (less its wait and its floor).
    EXPECT_DOUBLE_EQ(sp.floor_ms, default_floor(Medium::nodes).us / 1e3);
    double sum = sp.floor_ms;
    for (const auto& ph : sp.phases) sum += ph.ms - ph.wait_ms - sp.floor_ms;
    EXPECT_NEAR(sp.total_ms, sum, 1e-12);
  }
}

// Local work comes from the strategy's own run: the reference's fan-in backward narrow reads and
// writes the src rank's slice, 2 x S bytes (S = one src rank's tensor).
TEST(ModelPredict, DryRunCountsTheStrategysOwnCopies) {
  const Plan p = plan_of(seed_fan_in_cp2());
  const BridgeShape sh = shape();
  const LocalWorks w = dry_run(*make_strategy("reference"), p, sh, 0);
  EXPECT_EQ(w[size_t(Phase::bwd_local)].bytes, 2 * tensor_bytes(sh, sh.b));
  EXPECT_EQ(w[size_t(Phase::bwd_local)].launches, 1);
  EXPECT_EQ(w[size_t(Phase::fwd_comm)].launches, 0);  // a collective phase: no local work
}

// The emulation's bytes through the one GPU per byte of the table (harness/comm/emulate_comm.cpp).
// Bytes copied, a byte copied being read once and written once; per placement (comm/placement.hpp).
TEST(ModelFit, SharedMediumBytesFollowTheEmulationsCopies) {
  const auto out = Placement::out_of_place, in = Placement::in_place, staged = Placement::staged;
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_gather, 4, out), 4.0 / 3.0);  // own block too
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_gather, 4, in), 1.0);         // own block skipped
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_gather, 4, staged), 8.0 / 3.0);  // and copied back
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_to_all, 2, out), 2.0);
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_to_all, 2, staged), 4.0);
  // all_reduce on 2: 2 read + 1 written = 1.5 copies of the message; staged, + 1 copy back. The
  // table's bytes are 2(n-1)/n = 1 x the message at n = 2, 7/4 x at n = 8 (8 read + 1 written + 1).
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_reduce, 2, out), 1.5);
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_reduce, 2, staged), 2.5);
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::all_reduce, 8, staged), 5.5 / 1.75);
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::send_recv, 8, out), 1.0);
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::shared, CollOp::send_recv, 8, staged), 2.0);
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::nodes, CollOp::all_gather, 4, staged), 1.0);  // NCCL: the table's
  EXPECT_DOUBLE_EQ(medium_bytes_factor(Medium::socket, CollOp::all_to_all, 4, staged), 1.0);
}

// Where a call's output lies against its input, as the emulation decides it, on bare buffers and
// on the strategies' own (the dry run asks the same functions).
TEST(ModelFit, PlacementIsTheEmulationsOwnDecision) {
  char buf[64];
  EXPECT_EQ(all_gather_placement(buf + 16, buf, 8, 4, 2), Placement::in_place);  // rank 2's block
  EXPECT_EQ(all_gather_placement(buf + 4, buf, 8, 4, 2), Placement::staged);     // inside, elsewhere
  EXPECT_EQ(all_gather_placement(buf + 40, buf, 8, 4, 2), Placement::out_of_place);
  EXPECT_EQ(buffer_placement(buf, 16, buf, 16), Placement::staged);
  EXPECT_EQ(buffer_placement(buf, 16, buf + 16, 16), Placement::out_of_place);
  EXPECT_EQ(send_recv_placement({{P2POp::send, 1, buf, 8}, {P2POp::recv, 1, buf + 4, 8}}), Placement::staged);
  EXPECT_EQ(send_recv_placement({{P2POp::send, 1, buf, 8}, {P2POp::recv, 1, buf + 8, 8}}), Placement::out_of_place);
  // The bare timer: apart, or in place (an all-gather's own block; any other op staged).
  EXPECT_EQ(bare_placement(collective(CollOp::all_reduce), 4, true), Placement::staged);
  EXPECT_EQ(bare_placement(collective(CollOp::all_gather), 4, true), Placement::in_place);
  EXPECT_EQ(bare_placement(collective(CollOp::all_to_all), 4, false), Placement::out_of_place);
  // The reference reduces its CP gradient in place: the dry run sees it staged, like the emulation.
  const DryRun dr = dry_run_steps(*make_strategy("reference"), plan_of(seed_fan_in_cp2()), shape(), 0);
  int reduces = 0;
  for (const DryStep& st : dr.steps)
    if (st.collective && st.op == CollOp::all_reduce) {
      ++reduces;
      EXPECT_EQ(st.placement, Placement::staged);
    }
  EXPECT_EQ(reduces, 1);
  const StrategyPrediction sp = predict_strategy(*make_strategy("reference"), plan_of(seed_fan_in_cp2()), shape(),
                                                 make_topology("shared", 1), default_calibration());
  for (const auto& ph : sp.phases)
    if (ph.op == "all_reduce") EXPECT_EQ(ph.placement, "staged");
}

// The timer's floor: two GPU marks with nothing between them. A run's empty round trips (configs
// that run no phase) give it, their median, recovered exactly from synthetic ones; without any, the
// documented default per medium, labelled uncalibrated.
TEST(ModelCalibration, TheTimerFloorIsTheMedianOfARunsEmptyRoundTrips) {
  using oj = nlohmann::json;
  oj r = {{"schema", "bridgebench/results"}, {"environment", {{"backend", "emulate"}}}, {"collectives", oj::array()}};
  r["configs"] = oj::array();
  for (double ms : {0.004, 0.002, 0.003, 0.010})
    r["configs"].push_back({{"total", {{"median_ms", ms}}}, {"phases", oj::array()}, {"correct", true}});
  r["configs"].push_back({{"total", {{"median_ms", 0.001}}}, {"phases", oj::array()}, {"correct", false}});  // not counted
  r["configs"].push_back({{"total", {{"median_ms", 0.5}}}, {"phases", oj::array({{{"name", "fwd_comm"}}})}, {"correct", true}});
  Measurements m;
  read_results_collectives(r, "r.json", m);
  ASSERT_EQ(m.empty_round_trip_ms.size(), 4u);
  const TimerFloor f = floor_of(m.empty_round_trip_ms, m.empty_source);
  EXPECT_TRUE(f.calibrated);
  EXPECT_NEAR(f.us, 3.5, 1e-9);  // median of 2, 3, 4, 10 us
  EXPECT_NE(f.source.find("r.json"), std::string::npos);
  const TimerFloor none = floor_of({}, "x");
  EXPECT_FALSE(none.calibrated);
  Calibration c;
  EXPECT_FALSE(c.floor_for(Medium::socket).calibrated);
  EXPECT_DOUBLE_EQ(c.floor_for(Medium::socket).us, default_floor(Medium::socket).us);
  EXPECT_NE(c.floor_for(Medium::shared).source.find("uncalibrated"), std::string::npos);
  c.floor = f;
  EXPECT_DOUBLE_EQ(c.floor_for(Medium::socket).us, 3.5);
}

// A strategy that moves nothing (equal layouts) is priced by the floor alone, and calibrated only
// when the floor was measured; one that moves pays it in every phase and once in its round trip.
TEST(ModelPredict, AStrategyThatMovesNothingCostsTheTimerFloor) {
  LayoutSpec l = seed_fan_in_cp2();
  l.dest = l.src;
  const Plan p = plan_of(l);
  Calibration c = default_calibration();
  c.floor = floor_of({0.005}, "synthetic");
  const StrategyPrediction idle = predict_strategy(*make_strategy("fused"), p, shape(), make_topology("shared", 1), c);
  EXPECT_TRUE(idle.phases.empty());
  EXPECT_DOUBLE_EQ(idle.total_ms, 0.005);
  EXPECT_TRUE(idle.calibrated);
  const StrategyPrediction dflt =
      predict_strategy(*make_strategy("fused"), p, shape(), make_topology("shared", 1), default_calibration());
  EXPECT_DOUBLE_EQ(dflt.total_ms, default_floor(Medium::shared).us / 1e3);
  EXPECT_FALSE(dflt.calibrated);
  const StrategyPrediction ref = predict_strategy(*make_strategy("reference"), p, shape(), make_topology("shared", 1), c);
  ASSERT_FALSE(ref.phases.empty());  // the reference still copies its local slices
  double work = 0;
  for (const auto& ph : ref.phases) {
    EXPECT_GE(ph.ms, 0.005);
    work += ph.ms - ph.wait_ms - 0.005;
  }
  EXPECT_NEAR(ref.total_ms, 0.005 + work, 1e-12);
}

// The wait of a call for its peers' preceding local work: on nodes the slowest rank's time less
// the fastest's; on one GPU the serialized copies' spread, slowest x (ranks-1) / (ranks x launches).
TEST(ModelPredict, ACallWaitsForItsPeersPrecedingLocalWork) {
  EXPECT_DOUBLE_EQ(local_skew_ms(make_topology("nodes", 8), 8, 2.0, 0.5, 1), 1.5);
  EXPECT_DOUBLE_EQ(local_skew_ms(make_topology("nodes", 8), 8, 2.0, 2.0, 3), 0.0);
  EXPECT_DOUBLE_EQ(local_skew_ms(make_topology("shared", 1), 8, 0.8, 0.8, 1), 0.7);
  EXPECT_DOUBLE_EQ(local_skew_ms(make_topology("shared", 1), 8, 0.8, 0.8, 2), 0.35);
  EXPECT_DOUBLE_EQ(local_skew_ms(make_topology("shared", 1), 1, 0.8, 0.8, 1), 0.0);
  // p2p packs before its forward exchange: on one GPU that call waits, and the round trip counts
  // the wait once (in the local phase).
  const Plan p = plan_of(seed_fan_in_cp2());
  BridgeShape sh = shape();
  sh.mem = parse_mem_order("sbh");
  const StrategyPrediction sp =
      predict_strategy(*make_strategy("p2p"), p, sh, make_topology("shared", 1), default_calibration());
  double sum = sp.floor_ms, waits = 0;
  for (const auto& ph : sp.phases) {
    sum += ph.ms - ph.wait_ms - sp.floor_ms;
    waits += ph.wait_ms;
    if (ph.kind == "local") EXPECT_EQ(ph.wait_ms, 0.0);
    if (ph.phase == Phase::fwd_comm) EXPECT_GT(ph.wait_ms, 0.0);
  }
  EXPECT_GT(waits, 0.0);
  EXPECT_NEAR(sp.total_ms, sum, 1e-12);
}

// Local copies: in emulation every rank's at once on the one GPU (its bytes times the ranks); in
// the socket rehearsal each process's alone, as on a GPU of its own (Topology::shared_copies).
TEST(ModelPredict, SocketRanksCopyAloneEmulatedRanksShareTheGpu) {
  const Plan p = plan_of(seed_fan_in_cp2());
  const Calibration c = default_calibration();
  auto local = [&](const char* medium) {
    std::map<Phase, double> ms;
    const StrategyPrediction sp = predict_strategy(*make_strategy("p2p"), p, shape(), make_topology(medium, medium[0] == 'n' ? 8 : 1), c);
    for (const auto& ph : sp.phases)  // the bytes' part: less the floor and the launches
      if (ph.kind == "local") ms[ph.phase] = ph.ms - sp.floor_ms - ph.launches * c.copy.alpha_us / 1e3;
    return ms;
  };
  const auto nodes = local("nodes"), socket = local("socket"), shared = local("shared");
  ASSERT_FALSE(nodes.empty());
  for (const auto& [phase, ms] : nodes) {
    ASSERT_TRUE(socket.count(phase) && shared.count(phase)) << phase_name(phase);
    EXPECT_NEAR(socket.at(phase), ms, 1e-12) << phase_name(phase);
    EXPECT_NEAR(shared.at(phase), 8 * ms, 1e-12) << phase_name(phase);  // 8 ranks' bytes at once
  }
}

TEST(ModelPredict, BytesMoveToTheNetworkWhenGroupsSpanNodes) {
  const Plan p = plan_of(seed_fan_in_cp2());
  const BridgeShape sh = shape();
  const auto s = make_strategy("reference");
  const Calibration c = default_calibration();
  const StrategyPrediction in_node = predict_strategy(*s, p, sh, make_topology("nodes", 8), c);
  const StrategyPrediction one_per_node = predict_strategy(*s, p, sh, make_topology("nodes", 1), c);
  ASSERT_EQ(in_node.phases.size(), one_per_node.phases.size());
  for (size_t k = 0; k < in_node.phases.size(); ++k) {
    const auto &a = in_node.phases[k], &b = one_per_node.phases[k];
    if (a.kind != "collective") continue;
    EXPECT_EQ(a.groups_crossing_nodes, 0);
    EXPECT_EQ(b.groups_crossing_nodes, b.groups);
    EXPECT_EQ(a.bytes_per_link.at("nvlink"), b.bytes_per_link.at("network"));
    EXPECT_GT(b.ms, a.ms);  // 45 GB/s of NIC against 370 of NVLink
  }
  // Shared medium: every rank's bytes through one GPU, so a phase costs more than one group's.
  const StrategyPrediction shared = predict_strategy(*s, p, sh, make_topology("shared", 1), c);
  EXPECT_GT(shared.total_ms, 0.0);
}

TEST(ModelPredict, RecommendsTheCheapestWithItsMargin) {
  std::vector<StrategyPrediction> v(3);
  v[0].strategy = "a", v[0].total_ms = 3;
  v[1].strategy = "b", v[1].total_ms = 2;
  v[2].strategy = "c", v[2].total_ms = 2.5;
  const Recommendation r = recommend(v);
  EXPECT_EQ(r.best, "b");
  EXPECT_EQ(r.runner_up, "c");
  EXPECT_DOUBLE_EQ(r.margin_ms, 0.5);
  EXPECT_DOUBLE_EQ(r.margin_pct, 25.0);
}

// Two GPUs per node with the src grid dp-slowest: the fan-in gather pairs src dp d and d+1, four
// ranks apart, so every gather group crosses nodes; the search finds orders that keep them in.
TEST(ModelReorder, FindsAnOrderThatKeepsGroupsInsideNodes) {
  LayoutSpec l = seed_fan_in_cp2();
  const Topology t = make_topology("nodes", 2);
  ASSERT_GT(groups_crossing(plan_of(l), t), 0);
  const auto r = find_node_local_order(l, t, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(groups_crossing(plan_of(r->layout), t), 0);
  EXPECT_GT(r->changes, 0);
  EXPECT_FALSE(find_node_local_order(l, make_topology("nodes", 1), 1).has_value());  // a group never fits one GPU
}

bbtest::Run plan_cli(const std::string& args) {
  bbtest::TempDir d;
  return bbtest::run_in(d, std::string(BB_PLAN_CLI) + " " + args);
}

TEST(ModelCli, PredictAnswersA16384GpuLayoutInUnderASecond) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = plan_cli("--predict --world 16384 --src tp=2,dp=8192 --dest tp=2,cp=2,dp=4096 --gpus-per-node 8 --seq 4096 --hidden 4096");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_LT(s, 1.0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["layout"]["world"], 16384);
  EXPECT_FALSE(j["recommended"]["strategy"].get<std::string>().empty());
  EXPECT_GE(j["strategies"].size(), 2u);
  // Every strategy priced, the cell exchanges (p2p, alltoall) included: their exchange is
  // near-linear in ranks (test_exchange_scale holds it to the quadratic code's answers).
  EXPECT_TRUE(j["not_priced"].empty()) << j["not_priced"].dump();
  EXPECT_EQ(j["strategies"].size(), strategy_names().size());
  // Offset 1 on 8-GPU nodes: every group straddles a node; the answer includes the reorder search.
  const auto t1 = std::chrono::steady_clock::now();
  const auto o = plan_cli("--predict --world 16385 --offset 1 --src tp=2,dp=8192 --dest tp=2,cp=2,dp=4096 --gpus-per-node 8");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count(), 1.0);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto k = nlohmann::json::parse(o.out);
  EXPECT_GT(k["groups_crossing_nodes"].get<int>(), 0);
  ASSERT_TRUE(k["reorder"].is_object());
  EXPECT_EQ(k["reorder"]["layout"]["offset"], 0);
  EXPECT_TRUE(k["reorder"]["audit_ok"].get<bool>());
}

TEST(ModelCli, PredictCalibratesFromAFolderAndSuggestsAReorder) {
  const auto r = plan_cli("--predict --world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 --batch 4 --gpus-per-node 2 --calibration " +
                          std::string(BB_TEST_DATA) + "/nccl_tests --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["calibration"]["fits"].size(), 3u);  // all_gather, all_reduce, all_to_all over nvlink
  for (const auto& f : j["calibration"]["fits"]) {
    EXPECT_TRUE(f["calibrated"].get<bool>());
    for (const auto& p : f["points"]) EXPECT_TRUE(p.contains("residual"));
  }
  EXPECT_GT(j["groups_crossing_nodes"].get<int>(), 0);
  ASSERT_TRUE(j["reorder"].is_object());
  const auto t = plan_cli("--predict --world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 --format table");
  EXPECT_EQ(t.code, 0);
  EXPECT_NE(t.out.find("recommended:"), std::string::npos);
}

TEST(ModelCli, BadInputExitsTwoWithItsRule) {
  const std::string base = "--world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 ";
  const std::vector<std::pair<std::string, std::string>> cases{
      {base + "--seq 4096", "bad_flag"},                                   // a model flag without --predict
      {base + "--predict --calibration /nonexistent/x", "bad_calibration"},
      {base + "--predict --medium torus", "bad_topology"},
      {base + "--predict --gpus-per-node 0", "bad_flag"},
      {base + "--predict --seq 6", "seq_not_divisible"},
      {base + "--predict --mem xyz", "bad_mem_order"},
      {base + "--predict --dtype fp8", "bad_dtype"},
      {base + "--predict --seq 99999999999999999999", "too_large"},
      {base + "--predict --offset 0 --dest-offset 2", "bad_flag"},
  };
  for (const auto& [args, rule] : cases) {
    const auto r = plan_cli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.err.rfind("error: " + rule + ":", 0), 0u) << args << " -> " << r.err;
  }
  bbtest::TempDir d;
  d.write("junk.txt", "not nccl-tests\n");
  const auto r = bbtest::run_in(d, std::string(BB_PLAN_CLI) + " " + base + "--predict --calibration junk.txt");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: bad_calibration:", 0), 0u) << r.err;
}

}  // namespace

namespace {

// Item 4: a results document gets the model fitted on its own bare collectives and, per config,
// the prediction with residual = predicted / measured - 1, phase by phase.
TEST(ModelAttach, EveryConfigGetsItsPredictionAndResidual) {
  using oj = nlohmann::ordered_json;
  oj r = {{"schema", "bridgebench/results"}, {"environment", {{"backend", "emulate"}, {"copy_bandwidth_GBps", 3000.0}}}};
  r["collectives"] = oj::array();
  for (int k = 1; k <= 3; ++k)
    r["collectives"].push_back({{"id", "c" + std::to_string(k)}, {"op", "all_gather"}, {"group_size", 2}, {"groups", 4},
                                {"bytes_per_rank", (1 << 20) * k}, {"median_ms", 0.01 + 0.008 * k}, {"correct", true}});
  oj c = {{"id", "seed"}, {"world", 8}, {"src", {{"tp", 2}, {"dp", 4}}}, {"dest", {{"tp", 4}, {"dp", 2}}},
          {"src_order", {"tp", "cp", "pp", "dp"}}, {"dest_order", {"tp", "cp", "pp", "dp"}},
          {"shape", {{"b", 2}, {"s", 1024}, {"h", 1024}, {"mem", "bsh"}, {"dtype", "bf16"}}}, {"strategy", "reference"},
          {"total", {{"median_ms", 0.5}}},
          {"phases", oj::array({{{"name", "fwd_comm"}, {"median_ms", 0.4}}, {{"name", "bwd_local"}, {"median_ms", 0.1}}})}};
  r["configs"] = oj::array({c});
  bb::attach_predictions(r);
  ASSERT_TRUE(r["model"]["calibration"].is_object());
  EXPECT_EQ(r["model"]["medium"], "shared");
  const auto& p = r["configs"][0]["predicted"];
  ASSERT_TRUE(p.contains("total_ms")) << p.dump();
  EXPECT_NEAR(p["residual"].get<double>(), p["total_ms"].get<double>() / 0.5 - 1, 1e-12);
  ASSERT_EQ(p["phases"].size(), 2u);
  for (const auto& ph : p["phases"])
    EXPECT_NEAR(ph["residual"].get<double>(), ph["predicted_ms"].get<double>() / ph["measured_ms"].get<double>() - 1, 1e-12);
  // A run with an empty round trip (an equal layout's fused: no phase) measures its own timer
  // floor, which prices that config (and every phase of the others).
  oj idle = c;
  idle["id"] = "idle";
  idle["dest"] = idle["src"];
  idle["strategy"] = "fused";
  idle["total"] = {{"median_ms", 0.003}};
  idle["phases"] = oj::array();
  oj with_idle = r;
  with_idle.erase("model");
  with_idle["configs"] = oj::array({c, idle});
  bb::attach_predictions(with_idle);
  const auto& q = with_idle["configs"][1]["predicted"];
  ASSERT_TRUE(q.contains("total_ms")) << q.dump();
  EXPECT_NEAR(q["total_ms"].get<double>(), 0.003, 1e-12);
  EXPECT_TRUE(q["calibrated"].get<bool>());
  for (const auto& ph : with_idle["configs"][0]["predicted"]["phases"]) EXPECT_GE(ph["predicted_ms"].get<double>(), 0.003);
  // A config the model cannot rebuild (no shape) is said in its own "predicted"; the run is kept.
  oj broken = r;
  broken["configs"][0].erase("shape");
  EXPECT_NO_THROW(bb::attach_predictions(broken));
  EXPECT_TRUE(broken["configs"][0]["predicted"].contains("error"));
  // Without bare collectives there is nothing to calibrate on: said, and no prediction.
  oj bare = {{"schema", "bridgebench/results"}, {"environment", {{"backend", "host"}}}, {"collectives", oj::array()},
             {"configs", oj::array({c})}};
  bb::attach_predictions(bare);
  EXPECT_TRUE(bare["model"]["calibration"].is_null());
  EXPECT_FALSE(bare["configs"][0].contains("predicted"));
}

}  // namespace
