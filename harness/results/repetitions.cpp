#include "results/repetitions.hpp"

#include <algorithm>
#include <vector>

#include "results/results.hpp"

namespace bb {

using json = nlohmann::ordered_json;

namespace {

// Appends next's samples to kept's and recomputes the stats; derived rates follow the median.
void merge_stats(json& kept, const json& next) {
  if (!kept.contains("samples_ms") || !next.contains("samples_ms")) return;
  const double old_median = kept.value("median_ms", 0.0);
  for (const auto& s : next["samples_ms"]) kept["samples_ms"].push_back(s);
  const Stats st = stats_of(kept["samples_ms"].get<std::vector<double>>());
  kept["median_ms"] = st.median;
  kept["min_ms"] = st.min;
  kept["max_ms"] = st.max;
  if (kept.contains("mean_ms")) kept["mean_ms"] = st.mean;
  if (st.median <= 0) return;
  if (kept.contains("floor_ms") && kept["floor_ms"].is_number())
    kept["floor_ratio"] = kept["floor_ms"].get<double>() / st.median;
  for (const char* rate : {"algbw_GBps", "busbw_GBps"})
    if (kept.contains(rate) && kept[rate].is_number() && old_median > 0)
      kept[rate] = kept[rate].get<double>() * old_median / st.median;
}

}  // namespace

void merge_repetition(json& kept, const json& next, double next_median_ms) {
  if (kept.contains("total") && next.contains("total")) {
    merge_stats(kept["total"], next["total"]);
    if (kept.contains("floor_ms") && kept["floor_ms"].is_number() && kept["total"]["median_ms"].get<double>() > 0)
      kept["floor_ratio"] = kept["floor_ms"].get<double>() / kept["total"]["median_ms"].get<double>();
  } else {
    merge_stats(kept, next);  // a bare collective: the stats sit at the top level
  }
  // A bare collective's other series: in place, and through the suite (set against the
  // placement the bridge uses).
  auto merge_series = [&](const char* samples, const char* median) {
    if (!kept.contains(samples) || !next.contains(samples)) return;
    for (const auto& s : next[samples]) kept[samples].push_back(s);
    kept[median] = stats_of(kept[samples].get<std::vector<double>>()).median;
  };
  merge_series("in_place_samples_ms", "in_place_median_ms");
  merge_series("suite_samples_ms", "suite_median_ms");
  merge_series("single_launch_samples_ms", "single_launch_median_ms");
  if (kept.contains("suite_median_ms")) {
    const double bare = kept.value("suite_in_place", false) ? kept.value("in_place_median_ms", 0.0) : kept.value("median_ms", 0.0);
    kept["suite_overhead_pct"] = bare > 0 ? 100.0 * (kept["suite_median_ms"].get<double>() / bare - 1.0) : 0.0;
    if (kept.contains("single_launch_median_ms"))
      kept["single_launch_over_pct"] = bare > 0 ? 100.0 * (kept["single_launch_median_ms"].get<double>() / bare - 1.0) : 0.0;
  }
  for (const char* k : {"launch_skew", "launch"})  // a config's host-side series
    if (kept.contains(k) && next.contains(k)) merge_stats(kept[k], next[k]);
  if (kept.contains("phases") && next.contains("phases"))
    for (auto& p : kept["phases"])
      for (const auto& q : next["phases"])
        if (q.value("name", "") == p.value("name", "")) merge_stats(p, q);
  auto& reps = kept["repetition_medians_ms"];
  reps.push_back(next_median_ms);
  double lo = 1e300, hi = 0;
  for (const auto& v : reps) lo = std::min(lo, v.get<double>()), hi = std::max(hi, v.get<double>());
  kept["repetition_spread"] = lo > 0 ? hi / lo : 0.0;
  kept["repetitions"] = reps.size();
}

}  // namespace bb
