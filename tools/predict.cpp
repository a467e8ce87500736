#include "predict.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "model/calibration_io.hpp"
#include "model/predict.hpp"

namespace bb {
namespace {

using oj = nlohmann::ordered_json;

std::vector<StrategyPrediction> predict_all(const Plan& p, const BridgeShape& sh, const Topology& t, const Calibration& c,
                                            oj* not_priced = nullptr) {
  std::vector<StrategyPrediction> v;
  for (const auto& name : strategy_names()) {
    const auto s = make_strategy(name);
    std::string why;
    if (priced(*s, p, &why)) v.push_back(predict_strategy(*s, p, sh, t, c));
    else if (not_priced) not_priced->push_back({{"strategy", name}, {"reason", why}});
  }
  return v;
}

oj layout_json(const LayoutSpec& l) {
  return {{"world", l.world}, {"offset", l.offset}, {"src", l.src}, {"dest", l.dest},
          {"src_order", join_order(l.src_order)}, {"dest_order", join_order(l.dest_order)}};
}

void print_table(const oj& j) {
  std::printf("world %d, %s, %d GPUs per node (%d nodes); calibration: %s\n", j["layout"]["world"].get<int>(),
              j["topology"]["medium"].get<std::string>().c_str(), j["topology"]["gpus_per_node"].get<int>(),
              j["topology"]["nodes"].get<int>(), j["calibration"]["label"].get<std::string>().c_str());
  std::printf("%-10s %-10s %-10s %-10s %5s %9s %12s %12s\n", "strategy", "phase", "op", "pred_ms", "n", "crossing",
              "nvlink_B", "network_B");
  for (const auto& s : j["strategies"]) {
    for (const auto& ph : s["phases"]) {
      const auto& bl = ph["bytes_per_link"];
      std::printf("%-10s %-10s %-10s %-10.4f %5d %9s %12lld %12lld\n", s["strategy"].get<std::string>().c_str(),
                  ph["name"].get<std::string>().c_str(), ph["op"].get<std::string>().c_str(), ph["predicted_ms"].get<double>(),
                  ph.value("group_size", 1),
                  ph.contains("groups") ? (std::to_string(ph["groups_crossing_nodes"].get<int>()) + "/" +
                                           std::to_string(ph["groups"].get<int>())).c_str() : "-",
                  (long long)bl.value("nvlink", int64_t(0)), (long long)bl.value("network", int64_t(0)));
    }
    std::printf("%-10s %-10s %-10s %-10.4f%s\n", s["strategy"].get<std::string>().c_str(), "TOTAL", "",
                s["predicted_ms"].get<double>(), s["calibrated"].get<bool>() ? "" : "  (uses uncalibrated fits)");
  }
  const auto& r = j["recommended"];
  std::printf("\nrecommended: %s, %.4f ms per round trip", r["strategy"].get<std::string>().c_str(), r["predicted_ms"].get<double>());
  if (!r["runner_up"].is_null())
    std::printf(", %.4f ms (%.1f%%) ahead of %s", r["margin_ms"].get<double>(), r["margin_pct"].get<double>(),
                r["runner_up"].get<std::string>().c_str());
  std::printf("\n");
  for (const auto& n : j["not_priced"]) std::printf("not priced: %s\n", n["reason"].get<std::string>().c_str());
  std::printf("\nbridge groups crossing nodes: %d\n", j["groups_crossing_nodes"].get<int>());
  if (j.contains("reorder")) {
    const auto& o = j["reorder"];
    if (o.is_null()) std::printf("no searched order keeps every group inside a node\n");
    else
      std::printf("reorder: --src-order %s --dest-order %s --offset %d keeps every group inside a node; %s then %.4f ms%s\n",
                  o["layout"]["src_order"].get<std::string>().c_str(), o["layout"]["dest_order"].get<std::string>().c_str(),
                  o["layout"]["offset"].get<int>(), o["recommended"].get<std::string>().c_str(),
                  o["predicted_ms"].get<double>(), o["audit_ok"].get<bool>() ? "" : " (audit: delivers another replica's samples)");
  }
}

}  // namespace

void print_prediction(const PredictRequest& r) {
  const auto t0 = std::chrono::steady_clock::now();
  const Topology topo = make_topology(r.medium, r.gpus_per_node);
  BridgeShape sh;
  sh.mem = parse_mem_order(r.mem);
  sh.dtype = parse_dtype(r.dtype);
  if (r.seq < 1 || r.hidden < 1) throw Error("bad_shape", "--seq and --hidden must be at least 1");
  sh.s = r.seq;
  sh.h = r.hidden;
  const Plan p = plan_of(r.layout);
  if (r.batch) check_batch(p, r.batch);
  sh.b = r.batch ? src_batch_for(p, r.batch) : unit_src_batch(p);
  if (p.dest_cp > 1 && sh.s % (2 * p.dest_cp))
    throw Error("seq_not_divisible", "--seq " + std::to_string(sh.s) + " is not divisible by 2 x dest cp (" +
                                         std::to_string(2 * p.dest_cp) + ", semantics §5)");
  tensor_bytes(sh, dest_batch_for(p, sh.b));  // too_large before any work
  const Calibration cal = r.calibration.empty() ? default_calibration() : calibrate(r.calibration);
  oj not_priced = oj::array();
  const auto preds = predict_all(p, sh, topo, cal, &not_priced);
  const Recommendation rec = recommend(preds);
  oj j;
  j["not_priced"] = not_priced;
  j["layout"] = layout_json(r.layout);
  j["shape"] = {{"b", sh.b}, {"s", sh.s}, {"h", sh.h}, {"mem", r.mem}, {"dtype", r.dtype}};
  j["topology"] = {{"medium", medium_name(topo.medium)}, {"gpus_per_node", topo.gpus_per_node},
                   {"nodes", topo.medium == Medium::nodes ? (r.layout.world + topo.gpus_per_node - 1) / topo.gpus_per_node : 1}};
  oj cj = calibration_json(cal);
  cj["label"] = r.calibration.empty() ? "default (uncalibrated)" : r.calibration;
  cj["floor"] = floor_json(cal.floor_for(topo.medium));
  j["calibration"] = cj;
  j["strategies"] = oj::array();
  for (const auto& sp : preds) j["strategies"].push_back(prediction_json(sp));
  j["recommended"] = {{"strategy", rec.best}, {"predicted_ms", rec.best_ms},
                      {"runner_up", rec.runner_up.empty() ? oj(nullptr) : oj(rec.runner_up)},
                      {"margin_ms", rec.margin_ms}, {"margin_pct", rec.margin_pct}};
  const int crossing = groups_crossing(p, topo);
  j["groups_crossing_nodes"] = crossing;
  if (crossing > 0) {
    const auto o = find_node_local_order(r.layout, topo, sh.b);
    if (!o) {
      j["reorder"] = nullptr;
    } else {
      const Plan q = plan_of(o->layout);
      const Recommendation rq = recommend(predict_all(q, sh, topo, cal));
      j["reorder"] = {{"layout", layout_json(o->layout)}, {"changes", o->changes},
                      {"audit_ok", o->audit_ok}, {"recommended", rq.best}, {"predicted_ms", rq.best_ms},
                      {"saves_ms", rec.best_ms - rq.best_ms}};
    }
  }
  j["model_wall_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (r.format == "table") print_table(j);
  else std::cout << j.dump(1) << "\n";
}

}  // namespace bb
