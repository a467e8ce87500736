#pragma once
// The timed loop once more with the load (RunOptions.contention, run/concurrent_load.hpp)
// running beside every measured iteration on every rank, after the load alone (same run, same
// clocks): the bridge's time under the load, and the load's throughput during the bridge
// against alone. Collective.
#include "measure/timing_loop.hpp"
#include "run/context.hpp"

namespace bb {

void time_contended(const RunContext& cx, LoopBody body, const LoopOptions& lo, RunResult& res);

}  // namespace bb
