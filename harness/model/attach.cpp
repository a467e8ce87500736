#include "model/attach.hpp"

#include <map>
#include <set>

#include "core/error.hpp"
#include "model/calibration_io.hpp"
#include "model/predict.hpp"
#include "model/reorder.hpp"

namespace bb {
namespace {

using oj = nlohmann::ordered_json;

// The run's placement: ranks on one GPU share it; NCCL ranks sit on their hosts' nodes.
Topology run_topology(const nlohmann::json& r, LinkClass link) {
  if (link == LinkClass::shared) return make_topology("shared", 1);
  if (link == LinkClass::socket) return make_topology("socket", 1);
  std::map<std::string, int> per_host;
  for (const auto& rk : r["environment"]["launch"].value("ranks", nlohmann::json::array())) ++per_host[rk.value("host", "")];
  int most = 1;
  for (const auto& [h, n] : per_host) most = std::max(most, n);
  return make_topology("nodes", most);
}

std::map<std::string, int> sizes(const nlohmann::json& j) {
  std::map<std::string, int> m;
  for (const auto& [k, v] : j.items()) m[k] = v.get<int>();
  return m;
}

oj predict_config(const nlohmann::json& c, const Topology& t, const Calibration& cal) {
  LayoutSpec l;
  l.world = c["world"].get<int>();
  l.src = sizes(c["src"]);
  l.dest = sizes(c["dest"]);
  l.src_order = c["src_order"].get<std::vector<std::string>>();
  l.dest_order = c["dest_order"].get<std::vector<std::string>>();
  const Plan p = plan_of(l);
  BridgeShape sh;
  sh.b = c["shape"]["b"].get<int64_t>();
  sh.s = c["shape"]["s"].get<int64_t>();
  sh.h = c["shape"]["h"].get<int64_t>();
  sh.mem = parse_mem_order(c["shape"]["mem"].get<std::string>());
  sh.dtype = parse_dtype(c["shape"]["dtype"].get<std::string>());
  const auto s = make_strategy(c["strategy"].get<std::string>());
  std::string why;
  if (!priced(*s, p, &why)) return {{"not_priced", why}};
  const StrategyPrediction sp = predict_strategy(*s, p, sh, t, cal);
  auto residual = [](double pred, double meas) { return meas > 0 ? oj(pred / meas - 1) : oj(nullptr); };
  oj phases = oj::array();
  for (const auto& ph : sp.phases) {
    double meas = -1;
    for (const auto& m : c["phases"])
      if (m["name"] == phase_name(ph.phase)) meas = m["median_ms"].get<double>();
    phases.push_back({{"name", phase_name(ph.phase)}, {"predicted_ms", ph.ms},
                      {"measured_ms", meas >= 0 ? oj(meas) : oj(nullptr)}, {"residual", residual(ph.ms, meas)}});
  }
  const double total = c["total"]["median_ms"].get<double>();
  return {{"total_ms", sp.total_ms}, {"residual", residual(sp.total_ms, total)}, {"calibrated", sp.calibrated},
          {"phases", phases}};
}

void attach_or_throw(oj& results) {
  const nlohmann::json r = nlohmann::json::parse(results.dump());
  Measurements m;
  read_results_collectives(r, "this run", m);
  const LinkClass link = results_link(r);
  if (m.points.empty()) {
    results["model"] = {{"calibration", nullptr}, {"reason", "no bare collective of 2 or more ranks in this run"}};
    return;
  }
  Calibration cal;
  try {
    cal = fit_all(m.points, m.copy, m.sources, floor_of(m.empty_round_trip_ms, "this run"));
  } catch (const Error& e) {
    results["model"] = {{"calibration", nullptr}, {"reason", e.rule() + ": " + e.what()}};
    return;
  }
  const Topology t = run_topology(r, link);
  oj model = {{"medium", medium_name(t.medium)}, {"gpus_per_node", t.gpus_per_node}, {"calibration", calibration_json(cal)}};
  results["model"] = model;
  for (size_t k = 0; k < r["configs"].size(); ++k) {
    try {
      results["configs"][k]["predicted"] = predict_config(r["configs"][k], t, cal);
    } catch (const std::exception& e) {  // a config the model cannot rebuild: say so, keep the run
      const auto* be = dynamic_cast<const Error*>(&e);
      results["configs"][k]["predicted"] = {{"error", (be ? be->rule() + ": " : std::string()) + e.what()}};
    }
  }
}

}  // namespace

void attach_predictions(oj& results) {
  // The model must never cost a run its results: anything it cannot read is said, not thrown.
  try {
    attach_or_throw(results);
  } catch (const std::exception& e) {
    results["model"] = {{"calibration", nullptr}, {"reason", std::string("the model failed: ") + e.what()}};
  }
}

}  // namespace bb