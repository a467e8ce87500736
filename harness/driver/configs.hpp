#pragma once
// The configs of a sweep, made before anything runs: each point of the axes with its plan,
// audit and strategy (one per NCCL path), and the distinct bare collectives those strategies
// declare, each timed alone the nccl-tests way.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/strategy.hpp"
#include "driver/paths.hpp"
#include "driver/request.hpp"
#include "measure/bare_collective.hpp"
#include "plan/audit.hpp"
#include "results/floors.hpp"
#include "config/sweep.hpp"

namespace bb {

struct Point {
  SweepPoint pt;
  Plan plan;
  Audit audit;
  std::unique_ptr<Strategy> strategy;
  ConfigKey key;  // every axis, the NCCL path and the run settings included
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
// refused here is a recorded skip ({"id", "key", "rule", "reason"} appended to `skipped`, once
// per NCCL path, and said on stderr), not a failure of the sweep.
std::vector<Point> make_points(const SweepRequest& req, nlohmann::ordered_json& skipped);

// The distinct collectives the points' strategies declare (Strategy::collectives), each with the
// phase it serves and the strategies that call it.
std::vector<Bare> bare_collectives(const std::vector<Point>& pts);

// One bare collective's results-JSON entry (docs/results-schema.md, Collective): the nccl-tests
// figures, and the same collective through the suite's recorder against the nccl-tests time of
// the placement the bridge uses.
nlohmann::ordered_json bare_json(const Bare& b, const BareResult& r, const Floors& floors);

}  // namespace bb
