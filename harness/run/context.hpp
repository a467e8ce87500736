#pragma once
// One config on one rank, as every collaborator of the round trip (run/) reads it.
#include "bridge/strategy.hpp"
#include "run/round_trip.hpp"

namespace bb {

struct RunContext {
  const Plan& plan;
  const BridgeShape& shape;
  const Strategy& strategy;
  Device& dev;
  const RunOptions& opts;
  Comm& world;
  int rank = 0;
  bool member = false;       // in the grid: runs the bridge; otherwise only takes part in agreements
  RankBridge* rb = nullptr;  // a member's view of the bridge; nullptr outside the grid
};

}  // namespace bb
