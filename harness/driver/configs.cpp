#include "driver/configs.hpp"

#include <cstdio>
#include <map>

#include "run/round_trip.hpp"
#include "comm/collectives.hpp"
#include "results/results.hpp"

namespace bb {

std::vector<Point> make_points(const SweepRequest& req, std::vector<Refusal>& skipped) {
  std::vector<Point> points;
  for (auto& pt : expand(req.axes)) {
    try {
      Plan plan = pt.layout.plan();
      check_shape(plan, pt.key.shape);  // config/validate.hpp: every pre-run check of the point
      Audit audit = audit_plan(plan, pt.key.shape.b);
      points.push_back({pt.layout, pt.key, plan, audit, make_strategy(pt.key.strategy)});
    } catch (const Error& e) {
      skipped.push_back({pt.key.id(), pt.key.json(), e.rule(), e.what()});
      std::fprintf(stderr, "skip %s: %s: %s\n", pt.key.id().c_str(), e.rule().c_str(), e.what());
    }
  }
  return points;
}

namespace {

void add_caller(Bare& b, const std::string& strategy) {
  if (("," + b.strategies + ",").find("," + strategy + ",") == std::string::npos) b.strategies += "," + strategy;
}

}  // namespace

std::vector<Bare> bare_collectives(const std::vector<Point>& pts) {
  std::vector<Bare> out;
  std::map<std::string, size_t> at;
  for (const auto& p : pts) {
    const auto& sh = p.key.shape;
    for (const auto& u : p.strategy->collectives(p.plan, sh)) {
      const char* op = collective(u.op).name;
      Bare b;
      b.key.layout = p.key.layout;
      b.key.world = p.key.world;
      b.key.shape = sh;
      b.key.op = op;
      b.key.phase = u.phase;
      b.key.bytes = u.msg_bytes;
      b.key.path = p.key.path;
      auto it = at.find(b.id());
      if (it != at.end() && (out[it->second].spec.groups != u.groups || out[it->second].spec.bytes != u.msg_bytes)) {
        b.key.bytes_in_id = true;  // the same op in the same phase, another shape
        it = at.find(b.id());
      }
      if (it != at.end()) {
        add_caller(out[it->second], p.key.strategy);
        continue;
      }
      b.strategies = p.key.strategy;
      b.spec.nccl_path = p.key.path;
      b.spec.op = op;
      b.spec.phase = u.phase;
      b.spec.groups = u.groups;
      b.spec.bytes = u.msg_bytes;
      b.spec.dtype = sh.dtype;
      at[b.id()] = out.size();
      out.push_back(b);
    }
  }
  return out;
}

CollectiveRecord collective_record(const Bare& b, const BareResult& r, const Floors& floors) {
  CollectiveRecord c;
  c.key = b.key;
  c.id = b.id();
  c.strategies = b.strategies;
  c.group_size = r.group_size;
  c.groups = b.spec.groups.size();
  c.bytes_per_rank = r.bytes_per_rank;
  c.coll_bytes = r.coll_bytes;
  c.bus_factor = r.bus_factor;
  c.launches_per_sample = b.spec.launches;
  c.iterations_per_way = b.spec.iterations;
  c.suite_in_place = r.suite_in_place;
  c.ms = r.ms;
  c.in_place_ms = r.in_place_ms;
  c.suite_ms = r.suite_ms;
  c.single_ms = r.single_ms;
  c.launch_skew_ms = r.launch_skew_ms;
  c.repetition_sizes = {r.ms.size()};
  c.floor = phase_floor(floors, true, r.bytes_per_rank);
  c.wrong = r.wrong;
  return c;
}

}  // namespace bb
