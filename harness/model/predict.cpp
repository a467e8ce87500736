#include "model/predict.hpp"

#include <algorithm>
#include <map>

namespace bb {

std::vector<int> modelled_ranks(const Plan& p) {
  constexpr int kMost = 8;
  std::vector<int> r;
  const int n = p.size();
  if (n <= kMost) {
    for (int k = 0; k < n; ++k) r.push_back(p.offset() + k);
    return r;
  }
  for (int k = 0; k < kMost; ++k) r.push_back(p.offset() + int(int64_t(k) * (n - 1) / (kMost - 1)));
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

bool priced(const Strategy& s, const Plan& p, std::string* why) {
  const int most = s.max_declared_ranks();
  if (most == 0 || p.size() <= most) return true;
  if (why)
    *why = s.name() + " declares its exchange for grids of at most " + std::to_string(most) + " ranks in well under a second; this grid has " +
           std::to_string(p.size());
  return false;
}

namespace {

struct GroupCost {
  double us = 0;
  std::map<std::string, int64_t> bytes;
  LinkFit fit;
};

// One call of `op` with message `msg` on group `g`.
GroupCost group_cost(CollOp op, const std::vector<int>& g, int64_t msg, const Topology& t, const Calibration& c) {
  const int n = int(g.size());
  const int64_t b = collective_bytes(op, n, msg).bytes_per_rank;
  GroupCost out;
  const LinkClass link = t.link_of(g);
  if (link != LinkClass::network || op == CollOp::all_gather || op == CollOp::all_reduce) {
    // A ring runs at its slowest hop: a group that spans nodes moves every byte at the NIC's rate.
    out.fit = c.lookup(op, link);
    out.us = out.fit.time_us(op, n, double(b));
    out.bytes[link_name(link)] = b;
    return out;
  }
  // Personalised exchanges (all_to_all, send_recv) split by peer: bytes from peers on other
  // nodes cross the NIC, the rest NVLink, both at once; the slower side ends the call.
  int off = 0;
  for (int r : g) off = std::max(off, t.off_node_peers(g, r));
  const int64_t inter = n > 1 ? b / (n - 1) * off : 0, intra = b - inter;
  const LinkFit nv = c.lookup(op, LinkClass::nvlink), net = c.lookup(op, LinkClass::network);
  const double t_nv = intra > 0 ? nv.time_us(op, n, double(intra)) : 0, t_net = net.time_us(op, n, double(inter));
  out.us = std::max(t_nv, t_net);
  out.fit = t_net >= t_nv ? net : nv;
  out.bytes["nvlink"] = intra;
  out.bytes["network"] = inter;
  return out;
}

}  // namespace

double local_skew_ms(const Topology& t, int ranks, double slowest_ms, double fastest_ms, int launches) {
  if (!t.shared_copies()) return std::max(0.0, slowest_ms - std::max(0.0, fastest_ms));
  // One GPU runs every rank's copies, each filling it: they finish one after another, a rank's
  // launches interleaved with the others' (round robin), so the first rank is done
  // (ranks - 1) / (ranks x launches) of the phase before the last.
  if (ranks < 2 || launches < 1) return 0.0;
  return slowest_ms * double(ranks - 1) / (double(ranks) * double(launches));
}

int groups_crossing(const Plan& p, const Topology& t) {
  int n = 0;
  for (const auto* gs : {&p.gather_groups, &p.cp_groups})
    for (const auto& g : *gs) n += t.crosses_nodes(g);
  return n;
}

StrategyPrediction predict_strategy(const Strategy& s, const Plan& p, const BridgeShape& sh, const Topology& t,
                                    const Calibration& c) {
  StrategyPrediction sp;
  sp.strategy = s.name();
  std::array<PhasePrediction, kPhaseCount> ph{};
  std::array<bool, kPhaseCount> used{};
  for (int k = 0; k < kPhaseCount; ++k) ph[size_t(k)].phase = Phase(k);
  // The strategy's own run, dry, on the modelled ranks: the most local work any of them does per
  // phase (on a shared medium, every rank's at once), the local work each runs right before each
  // of its calls (since its previous call), in call order: what that call waits for on the rank
  // that ends it last, and where each call's output lies against its input (its placement: what
  // the emulation copies for it).
  LocalWorks most{};
  std::vector<std::vector<LocalWork>> before_call;
  std::vector<Phase> call_phase;
  std::map<std::pair<Phase, CollOp>, Placement> placed;  // the first modelled rank's that makes the call
  for (int r : modelled_ranks(p)) {
    const DryRun dr = dry_run_steps(s, p, sh, r);
    for (int k = 0; k < kPhaseCount; ++k) {
      most[size_t(k)].bytes = std::max(most[size_t(k)].bytes, dr.local[size_t(k)].bytes);
      most[size_t(k)].launches = std::max(most[size_t(k)].launches, dr.local[size_t(k)].launches);
    }
    std::vector<LocalWork> runs;
    LocalWork run;
    for (const DryStep& st : dr.steps) {
      if (!st.call) {
        run.bytes += st.bytes;
        ++run.launches;
        continue;
      }
      if (st.collective) placed.emplace(std::make_pair(st.phase, st.op), st.placement);
      if (call_phase.size() <= runs.size()) call_phase.push_back(st.phase);
      runs.push_back(run);
      run = {};
    }
    before_call.push_back(runs);
  }
  // Collectives: every group of a call at once; the call ends with its slowest group, or on a
  // shared medium when the medium has moved every rank's bytes.
  for (const auto& u : s.collectives(p, sh)) {
    PhasePrediction& pp = ph[size_t(u.phase)];
    used[size_t(u.phase)] = true;
    pp.kind = "collective";
    pp.op = collective(u.op).name;
    const auto at = placed.find({u.phase, u.op});
    const Placement where = at != placed.end() ? at->second : bare_placement(collective(u.op), 2, collective(u.op).bridge_in_place);
    GroupCost slowest;
    double total_bytes = 0;
    int largest = 1;
    for (const auto& g : u.groups) {
      ++pp.groups;
      largest = std::max(largest, int(g.size()));
      if (t.crosses_nodes(g)) {
        if (!pp.groups_crossing_nodes) pp.crossing_example = g;
        ++pp.groups_crossing_nodes;
      }
      if (t.shared_medium()) {
        const int n = int(g.size());
        total_bytes += double(n) * double(collective_bytes(u.op, n, u.msg_bytes).bytes_per_rank) * medium_bytes_factor(t.medium, u.op, n, where);
        continue;
      }
      GroupCost gc = group_cost(u.op, g, u.msg_bytes, t, c);
      if (gc.us >= slowest.us) slowest = gc;
    }
    pp.group_size = std::max(pp.group_size, largest);
    if (t.shared_medium()) {
      const LinkClass link = t.medium == Medium::shared ? LinkClass::shared : LinkClass::socket;
      slowest.fit = c.lookup(u.op, link);
      slowest.us = largest > 1 ? slowest.fit.time_us(u.op, largest, total_bytes) : 0.0;
      slowest.bytes[link_name(link)] = collective_bytes(u.op, largest, u.msg_bytes).bytes_per_rank;
      pp.placement = placement_name(where);
    }
    pp.ms += slowest.us / 1e3;
    for (const auto& [k, v] : slowest.bytes) pp.bytes_per_link[k] += v;
    pp.fit = slowest.fit;
  }
  const double sharing = t.shared_copies() ? double(p.size()) : 1.0;
  auto local_ms = [&](const LocalWork& w) {
    return (w.launches * c.copy.alpha_us + double(w.bytes) * sharing / (c.copy.copy_GBps * 1e3)) / 1e3;
  };
  for (int k = 0; k < kPhaseCount; ++k) {
    const LocalWork& w = most[size_t(k)];
    if (!w.launches || used[size_t(k)]) continue;
    PhasePrediction& pp = ph[size_t(k)];
    used[size_t(k)] = true;
    pp.kind = "local";
    pp.op = "copy";
    pp.ms = local_ms(w);
    pp.launches = w.launches;
    pp.bytes_per_link["memory"] = w.bytes;
    pp.fit.alpha_us = c.copy.alpha_us;
    pp.fit.beta_GBps = c.copy.copy_GBps;
    pp.fit.calibrated = c.copy.calibrated;
    pp.fit.source = c.copy.source;
  }
  // A call also waits for the local work its peers run before it: the suite times each rank's
  // phases and takes the slowest, so the rank that ends that work first waits for the last. The
  // wait is booked to the call's collective phase; the round trip counts it once, in the local
  // phase that causes it.
  for (size_t i = 0; i < call_phase.size(); ++i) {
    PhasePrediction& pp = ph[size_t(call_phase[i])];
    if (!used[size_t(call_phase[i])] || pp.kind != "collective") continue;
    double slowest = 0, fastest = -1;
    int launches = 0;
    for (const auto& runs : before_call) {
      const LocalWork w = i < runs.size() ? runs[i] : LocalWork{};
      slowest = std::max(slowest, local_ms(w));
      fastest = fastest < 0 ? local_ms(w) : std::min(fastest, local_ms(w));
      launches = std::max(launches, w.launches);
    }
    const double wait = local_skew_ms(t, p.size(), slowest, fastest, launches);
    pp.wait_ms += wait;
    pp.ms += wait;
  }
  // Every timed interval, each phase and the round trip, pays the timer's floor once: the round
  // trip is its floor plus each phase's work (less its wait).
  const TimerFloor floor = c.floor_for(t.medium);
  sp.floor_ms = floor.us / 1e3;
  sp.total_ms = sp.floor_ms;
  bool any = false;
  for (int k = 0; k < kPhaseCount; ++k)
    if (used[size_t(k)]) {
      PhasePrediction& pp = ph[size_t(k)];
      sp.total_ms += pp.ms - pp.wait_ms;
      pp.ms += sp.floor_ms;
      sp.phases.push_back(pp);
      sp.calibrated = sp.calibrated && pp.fit.calibrated;
      any = true;
    }
  // A strategy that moves nothing is priced by the floor alone.
  if (!any) sp.calibrated = floor.calibrated;
  return sp;
}

Recommendation recommend(const std::vector<StrategyPrediction>& preds) {
  Recommendation r;
  std::vector<const StrategyPrediction*> v;
  for (const auto& p : preds) v.push_back(&p);
  std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->total_ms < b->total_ms; });
  if (v.empty()) return r;
  r.best = v[0]->strategy;
  r.best_ms = v[0]->total_ms;
  if (v.size() > 1) {
    r.runner_up = v[1]->strategy;
    r.margin_ms = v[1]->total_ms - v[0]->total_ms;
    r.margin_pct = v[0]->total_ms > 0 ? 100.0 * r.margin_ms / v[0]->total_ms : 0.0;
  }
  return r;
}

nlohmann::ordered_json prediction_json(const StrategyPrediction& sp) {
  using oj = nlohmann::ordered_json;
  oj phases = oj::array();
  for (const auto& p : sp.phases) {
    oj ph;
    ph["name"] = phase_name(p.phase);
    ph["kind"] = p.kind;
    ph["op"] = p.op;
    ph["predicted_ms"] = p.ms;
    ph["bytes_per_link"] = p.bytes_per_link;
    if (p.kind == "local") ph["launches"] = p.launches;
    if (p.kind == "collective") {
      ph["wait_ms"] = p.wait_ms;
      if (!p.placement.empty()) ph["placement"] = p.placement;
      ph["group_size"] = p.group_size;
      ph["groups"] = p.groups;
      ph["groups_crossing_nodes"] = p.groups_crossing_nodes;
      ph["crossing_example"] = p.crossing_example.empty() ? oj(nullptr) : oj(p.crossing_example);
    }
    ph["fit"] = {{"alpha_us", p.fit.alpha_us}, {"beta_GBps", p.fit.beta_GBps}, {"calibrated", p.fit.calibrated},
                 {"source", p.fit.source}};
    phases.push_back(ph);
  }
  return {{"strategy", sp.strategy}, {"predicted_ms", sp.total_ms}, {"floor_ms", sp.floor_ms}, {"calibrated", sp.calibrated},
          {"phases", phases}};
}

}  // namespace bb
