#pragma once
// The cost model (issue 22 item 1): per strategy and phase, time = sum over the phase's calls of
// alpha(op, link) x hops(op, n) + bytes on the bottleneck link / beta(op, link); a local phase =
// launches x alpha + bytes read and written / copy bandwidth; a phase ends when its slowest group
// ends; a round trip is the sum of its phases (the suite times phases one after the other); every
// timed interval (phase, round trip) also pays the timer's floor once.
// Inputs: the plan, the strategy's declared collectives (Strategy::collectives: groups, op,
// message) and the collective table's bytes, its local work from a dry run of its own code, a
// topology and a calibration. Nothing of CUDA.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/strategy.hpp"
#include "model/calibration.hpp"
#include "model/dry_run.hpp"
#include "model/topology.hpp"

namespace bb {

struct PhasePrediction {
  Phase phase = Phase::fwd_local;
  std::string kind;  // "collective" or "local"
  std::string op;    // the collective table's name, or "copy"
  double ms = 0;
  int group_size = 1;  // largest group of the phase
  int groups = 0;
  int groups_crossing_nodes = 0;
  std::vector<int> crossing_example;              // the first group that crosses nodes
  std::map<std::string, int64_t> bytes_per_link;  // per rank on the slowest group (max over ranks)
  LinkFit fit;                                    // the fit that priced the slowest group
  // Collective phases: the part of `ms` spent waiting for the slowest rank's preceding local
  // phase (local_skew_ms); the round trip does not count it twice.
  double wait_ms = 0;
  int launches = 0;  // local phases: copy launches of the busiest modelled rank
  std::string placement;  // collective phases on a shared medium: the call's placement there (comm/placement.hpp)
};

struct StrategyPrediction {
  std::string strategy;
  std::vector<PhasePrediction> phases;  // in execution order, only phases that do something
  double total_ms = 0;  // the timer's floor plus each phase's work (less its wait and its own floor)
  double floor_ms = 0;  // the timer's floor (Calibration::floor_for), in every phase and the round trip
  bool calibrated = true;  // every fit used was calibrated (not a default, not borrowed)
};

// The grid ranks whose local work is dry-run: all of them up to 8, else a spread of 8 (the first
// and last of the grid included). Local phases take the maximum over these.
std::vector<int> modelled_ranks(const Plan& p);

// Whether the model prices `s` on this plan (Strategy::max_declared_ranks); the reason if not.
bool priced(const Strategy& s, const Plan& p, std::string* why);

StrategyPrediction predict_strategy(const Strategy& s, const Plan& p, const BridgeShape& sh, const Topology& t,
                                    const Calibration& c);

struct Recommendation {
  std::string best, runner_up;
  double best_ms = 0, margin_ms = 0, margin_pct = 0;  // runner-up minus best
};
Recommendation recommend(const std::vector<StrategyPrediction>& preds);

// How much later the slowest rank ends a local phase than the fastest (the wait of the collective
// phase after it). Nodes and the socket rehearsal (each rank's copies alone): the slowest modelled
// rank's time less the fastest's. Emulation (one GPU runs every rank's copies at once, shared
// copies): slowest x (ranks - 1) / (ranks x launches).
double local_skew_ms(const Topology& t, int ranks, double slowest_ms, double fastest_ms, int launches);

// The plan's groups (gather and CP) that cross nodes under `t`.
int groups_crossing(const Plan& p, const Topology& t);

nlohmann::ordered_json prediction_json(const StrategyPrediction& sp);

}  // namespace bb
