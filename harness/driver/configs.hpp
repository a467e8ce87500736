#pragma once
// The configs of a sweep, made before anything runs: each point of the axes with its plan,
// audit and strategy (one per NCCL path), and the distinct bare collectives those strategies
// declare, each timed alone the nccl-tests way.
#include <memory>
#include <string>
#include <vector>

#include "bridge/strategy.hpp"
#include "driver/paths.hpp"
#include "driver/request.hpp"
#include "measure/bare_collective.hpp"
#include "plan/audit.hpp"
#include "results/floors.hpp"
#include "config/sweep.hpp"
#include "results/records.hpp"

namespace bb {

struct Point {
  LayoutCase layout;
  ConfigKey key;  // every axis, the NCCL path and the run settings included
  Plan plan;
  Audit audit;
  std::unique_ptr<Strategy> strategy;
  std::string id() const { return key.id(); }
};

// A bridge collective timed alone at a layout's group shape and message size.
struct Bare {
  CollectiveKey key;
  std::string strategies;  // the comma list of those that call it
  BareSpec spec;
  std::string id() const { return key.id(); }
};

// Every point of the request, checked (plan, shape, byte budget, audit) before any runs: a point
// refused here is a recorded skip (appended to `skipped`, and said on stderr), not a failure
// of the sweep.
std::vector<Point> make_points(const SweepRequest& req, std::vector<Refusal>& skipped);

// The distinct collectives the points' strategies declare (Strategy::collectives), each with the
// phase it serves and the strategies that call it.
std::vector<Bare> bare_collectives(const std::vector<Point>& pts);

// One run of a bare collective as a record (results/records.hpp), with its floor.
CollectiveRecord collective_record(const Bare& b, const BareResult& r, const Floors& floors);

}  // namespace bb
