#include "driver/configs.hpp"

#include <cstdio>
#include <map>

#include "run/round_trip.hpp"
#include "comm/collectives.hpp"
#include "results/results.hpp"

namespace bb {

using json = nlohmann::ordered_json;

namespace {

// The point's key at one NCCL path, with the run's settings.
ConfigKey key_at(const SweepPoint& pt, const SweepRequest& req, NcclPath np) {
  ConfigKey k = pt.key();
  k.mode = req.mode;
  k.cadence = req.cadence;
  k.contention = req.contention;
  k.path = np;
  return k;
}

}  // namespace

std::vector<Point> make_points(const SweepRequest& req, json& skipped) {
  std::vector<Point> points;
  for (auto& pt : expand(req.axes)) {
    try {
      Plan plan = pt.layout.plan();
      check_shape(plan, pt.shape);  // config/validate.hpp: every pre-run check of the point
      Audit audit = audit_plan(plan, pt.shape.b);
      for (NcclPath np : req.axes.nccl_paths)
        points.push_back({pt, plan, audit, make_strategy(pt.strategy), key_at(pt, req, np)});
    } catch (const Error& e) {
      for (NcclPath np : req.axes.nccl_paths) {
        const ConfigKey k = key_at(pt, req, np);
        skipped.push_back({{"id", k.id()}, {"key", k.json()}, {"rule", e.rule()}, {"reason", e.what()}});
        std::fprintf(stderr, "skip %s: %s: %s\n", k.id().c_str(), e.rule().c_str(), e.what());
      }
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
    const auto& sh = p.pt.shape;
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
        add_caller(out[it->second], p.pt.strategy);
        continue;
      }
      b.strategies = p.pt.strategy;
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

namespace {

// The nccl-tests figures, out of place and in place: times, algbw and busbw.
void nccl_tests_json(json& c, const BareResult& r) {
  const Stats s = stats_of(r.ms), ip = stats_of(r.in_place_ms);
  c["method"] = "nccl-tests";
  c["median_ms"] = s.median;
  c["min_ms"] = s.min;
  c["max_ms"] = s.max;
  c["samples_ms"] = r.ms;
  c["in_place_median_ms"] = ip.median;
  c["in_place_samples_ms"] = r.in_place_ms;
  const double algbw = s.median > 0 ? double(r.coll_bytes) / (s.median * 1e6) : 0;
  const double algbw_ip = ip.median > 0 ? double(r.coll_bytes) / (ip.median * 1e6) : 0;
  c["algbw_GBps"] = algbw;
  c["busbw_GBps"] = algbw * r.bus_factor;
  c["in_place_algbw_GBps"] = algbw_ip;
  c["in_place_busbw_GBps"] = algbw_ip * r.bus_factor;
}

// The same collective through the suite's phase recorder (NVTX, CUPTI, marks): the same
// back-to-back loop (the harness's overhead), and one launch as a round trip's phase runs it,
// each set against the nccl-tests time of the placement the bridge uses.
void suite_json(json& c, const BareResult& r) {
  const double ref = r.suite_in_place ? stats_of(r.in_place_ms).median : stats_of(r.ms).median;
  const double su = stats_of(r.suite_ms).median, one = stats_of(r.single_ms).median;
  c["suite_in_place"] = r.suite_in_place;
  c["suite_median_ms"] = su;
  c["suite_samples_ms"] = r.suite_ms;
  c["suite_overhead_pct"] = ref > 0 ? 100.0 * (su / ref - 1.0) : 0.0;
  c["single_launch_median_ms"] = one;
  c["single_launch_samples_ms"] = r.single_ms;
  c["single_launch_over_pct"] = ref > 0 ? 100.0 * (one / ref - 1.0) : 0.0;
  const Stats skew = stats_of(r.launch_skew_ms);
  c["launch_skew"] = {{"median_ms", skew.median}, {"max_ms", skew.max}};
}

}  // namespace

json bare_json(const Bare& b, const BareResult& r, const Floors& floors) {
  json c;
  c["id"] = b.id();
  c["key"] = b.key.json();
  c["layout"] = b.key.layout;
  c["phase"] = phase_name(b.spec.phase);
  c["strategies"] = b.strategies;
  c["op"] = b.spec.op;
  c["dtype"] = dtype_name(b.spec.dtype);
  c["group_size"] = r.group_size;
  c["groups"] = b.spec.groups.size();
  c["bytes_per_rank"] = r.bytes_per_rank;
  c["coll_bytes"] = r.coll_bytes;
  c["launches_per_sample"] = b.spec.launches;
  c["iterations_per_way"] = b.spec.iterations;
  nccl_tests_json(c, r);
  suite_json(c, r);
  const double median = c["median_ms"].get<double>();
  const Floor fl = phase_floor(floors, true, r.bytes_per_rank);
  c["floor_basis"] = fl.basis;
  c["floor_ms"] = fl.known ? json(fl.ms) : json(nullptr);
  c["floor_ratio"] = fl.known ? json(median > 0 ? fl.ms / median : 0) : json(nullptr);
  c["wrong"] = r.wrong;
  c["correct"] = r.wrong == 0;
  c["nccl_path"] = nccl_path_name(b.spec.nccl_path);
  return c;
}

}  // namespace bb
