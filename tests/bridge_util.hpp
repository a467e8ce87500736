#pragma once
// Shared helpers for the host-simulation bridge tests.
#include <map>
#include <string>
#include <vector>

#include "bridge/round_trip.hpp"
#include "comm/launch.hpp"
#include "plan/grid.hpp"
#include "plan/plan.hpp"

namespace bbtest {

struct Layout {
  int world;
  std::map<std::string, int> src, dest;
  std::vector<std::string> src_order = {"tp", "cp", "pp", "dp"}, dest_order = {"tp", "cp", "pp", "dp"};
  int offset = 0;
};

inline bb::Plan plan_of(const Layout& l) {
  return bb::make_plan(l.world, bb::make_grid(l.src, l.src_order, l.offset),
                       bb::make_grid(l.dest, l.dest_order, l.offset));
}

// Runs the checked round trip (no timing) on every rank of a host world; returns rank 0's view
// (failing_ranks is agreed by all ranks) and the first mismatch seen by any rank.
inline bb::CheckOutcome run_checked(const Layout& l, const bb::BridgeShape& shape, const bb::Strategy& s,
                                    std::string* first_mismatch = nullptr) {
  bb::Plan plan = plan_of(l);
  std::vector<bb::CheckOutcome> out(size_t(l.world));
  bb::LaunchOptions lo;
  lo.backend = "host";
  lo.world = l.world;
  lo.timeout_s = 30;
  bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
    bb::CommCache comms(world);
    bb::RunOptions ro;
    ro.time = false;
    ro.nvtx = false;
    out[size_t(world.rank())] = bb::run_round_trip(plan, shape, s, comms, dev, ro).check;
  });
  if (first_mismatch)
    for (const auto& o : out)
      if (!o.first_mismatch.empty()) {
        *first_mismatch = o.first_mismatch;
        break;
      }
  return out[0];
}

}  // namespace bbtest
