#pragma once
// Shared helpers for the host-simulation bridge tests.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "run/round_trip.hpp"
#include "comm/launch.hpp"
#include "plan/grid.hpp"
#include "plan/plan.hpp"

namespace bbtest {

// A parallel layout: the world, the src and dest grids and their dim orders (the tensor's memory
// order is bb::MemOrder, the shape's `mem`).
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

// Runs one config on every rank of a `backend` world; returns rank 0's result (check outcomes
// are agreed by all ranks) and, through first_mismatch, the first mismatch any rank saw.
// Runs `fn` on every rank of a `backend` world of `world` ranks, each with its comm cache.
inline void on_world(const std::string& backend, int world_size,
                     const std::function<void(bb::Comm&, bb::Device&, bb::CommCache&)>& fn) {
  bb::LaunchOptions lo;
  lo.backend = backend;
  lo.world = world_size;
  lo.timeout_s = 60;
  bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
    bb::CommCache comms(world);
    fn(world, dev, comms);
  });
}

inline bb::RunResult run_world(const std::string& backend, const bb::Plan& plan, const bb::BridgeShape& shape,
                               const bb::Strategy& s, const bb::RunOptions& ro,
                               std::string* first_mismatch = nullptr) {
  std::vector<bb::RunResult> out(static_cast<size_t>(plan.world));
  on_world(backend, plan.world, [&](bb::Comm& world, bb::Device& dev, bb::CommCache& comms) {
    out[size_t(world.rank())] = bb::run_round_trip(plan, shape, s, comms, dev, ro);
  });
  if (first_mismatch)
    for (const auto& o : out)
      if (!o.check.first_mismatch.empty()) {
        *first_mismatch = o.check.first_mismatch;
        break;
      }
  return out[0];
}

// The checked round trip alone (no timing) in host simulation.
inline bb::CheckOutcome run_checked(const Layout& l, const bb::BridgeShape& shape, const bb::Strategy& s,
                                    std::string* first_mismatch = nullptr) {
  bb::RunOptions ro;
  ro.time = false;
  ro.nvtx = false;
  return run_world("host", plan_of(l), shape, s, ro, first_mismatch).check;
}

}  // namespace bbtest
