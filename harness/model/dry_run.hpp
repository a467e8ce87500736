#pragma once
// A strategy's own run, dry: its forward and backward on one rank over a device that allocates
// nothing and copies nothing and a communicator that moves nothing, so the local phases' bytes
// (read + written, what RankBridge::local accounts) and copy launches come from the strategy's
// own code rather than from a second description of it (issue 22: reuse, don't re-derive).
#include <array>
#include <cstdint>
#include <vector>

#include "bridge/strategy.hpp"
#include "comm/collectives.hpp"
#include "comm/placement.hpp"

namespace bb {

struct LocalWork {
  int64_t bytes = 0;   // read + written
  int launches = 0;    // segment-list copies (one kernel each)
};
using LocalWorks = std::array<LocalWork, kPhaseCount>;

// One step of the rank's round trip (forward, then backward, as the timed loop runs them) in the
// order it runs: a copy launch with its bytes read + written, or a call on a communicator.
struct DryStep {
  Phase phase = Phase::fwd_local;
  bool call = false;
  int64_t bytes = 0;
  // Calls that move data (not a barrier or an align): the op, and where its output lies against
  // its input as the emulation would place it (what the shared medium's bytes depend on).
  bool collective = false;
  CollOp op = CollOp::all_gather;
  Placement placement = Placement::out_of_place;
};
struct DryRun {
  LocalWorks local{};           // per phase
  std::vector<DryStep> steps;  // in order
};

// Local work per phase of world rank `rank` (a member of the plan's grid), and its steps.
DryRun dry_run_steps(const Strategy& s, const Plan& p, const BridgeShape& sh, int rank);
LocalWorks dry_run(const Strategy& s, const Plan& p, const BridgeShape& sh, int rank);

}  // namespace bb
