#pragma once
// What the world agrees on after the checked run, so every rank reports what the bridge's
// ranks did (a layout at an offset, or a world larger than the bridge, has ranks that did
// nothing, rank 0 maybe among them). Collective: every rank of the world calls both.
#include <array>

#include "comm/comm.hpp"
#include "measure/phases.hpp"
#include "run/round_trip.hpp"

namespace bb {

// This rank's counts become the world's sums (ranks outside the bridge add nothing), and the
// ranks with a mismatch are listed; the first mismatch stays this process's own.
void agree_on_check(Comm& world, CheckOutcome& c);

// Each phase's work, the largest over the ranks. Names travel as their index in a vocabulary
// made from the collective table (comm/collectives.hpp) and the local copy.
void agree_on_work(Comm& world, std::array<PhaseWork, kPhaseCount>& work);

}  // namespace bb
