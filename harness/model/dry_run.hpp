#pragma once
// A strategy's own run, dry: its forward and backward on one rank over a device that allocates
// nothing and copies nothing and a communicator that moves nothing, so the local phases' bytes
// (read + written, what RankBridge::local accounts) and copy launches come from the strategy's
// own code rather than from a second description of it (issue 22: reuse, don't re-derive).
#include <array>
#include <cstdint>

#include "bridge/strategy.hpp"

namespace bb {

struct LocalWork {
  int64_t bytes = 0;   // read + written
  int launches = 0;    // segment-list copies (one kernel each)
};
using LocalWorks = std::array<LocalWork, kPhaseCount>;

// Local work per phase of world rank `rank` (a member of the plan's grid).
LocalWorks dry_run(const Strategy& s, const Plan& p, const BridgeShape& sh, int rank);

}  // namespace bb
