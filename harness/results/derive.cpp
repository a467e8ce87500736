#include "results/derive.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

namespace bb {

Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front();
  s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(n);
  return s;
}

namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// A floor against a median: none where there is no floor.
std::optional<double> floor_ratio(const Floor& f, double median) {
  if (!f.known) return std::nullopt;
  return ratio(f.ms, median);
}

// Each repetition's median (the samples split as they were appended) and their spread.
void repetitions(const std::vector<double>& samples, const std::vector<size_t>& sizes, std::vector<double>& medians,
                 double& spread) {
  size_t at = 0;
  for (size_t n : sizes) {
    const size_t end = std::min(samples.size(), at + n);
    medians.push_back(stats_of({samples.begin() + long(at), samples.begin() + long(end)}).median);
    at = end;
  }
  if (medians.size() < 2) return;
  const auto [lo, hi] = std::minmax_element(medians.begin(), medians.end());
  spread = *lo > 0 ? *hi / *lo : 0.0;
}

PhaseFigures derive_phase(const PhaseRecord& p) {
  PhaseFigures f;
  f.time = stats_of(p.samples_ms);
  f.launch_median_ms = stats_of(p.launch_samples_ms).median;
  f.algbw_GBps = ratio(p.bw_bytes, f.time.median * 1e6);
  f.busbw_GBps = f.algbw_GBps * p.bus_factor;
  f.floor_ratio = floor_ratio(p.floor, f.time.median);
  f.contended = stats_of(p.contended_samples_ms);
  f.contended_ratio = ratio(f.contended.median, f.time.median);
  // Named figures go here: f.named.push_back({"key", value}) reaches the JSON and the summary.
  return f;
}

// The round trip's floor: its phases' floors summed (none if one phase has none), or, where the
// ranks share one memory and that takes longer, every member's bytes through it at once.
Floor round_trip_floor(const ConfigRecord& c) {
  Floor f;
  for (const auto& p : c.phases) {
    if (!p.floor.known) return p.floor;  // its basis says why
    f.ms += p.floor.ms;
  }
  f.basis = c.shared_floor_ms > f.ms ? "shared_memcpy" : "phases";
  f.ms = std::max(f.ms, c.shared_floor_ms);
  return f;
}

// The configs a speedup compares share every axis but the strategy: the key with `reference`
// in its place (never the id taken apart).
std::string reference_key(const ConfigKey& k) {
  ConfigKey r = k;
  r.strategy = "reference";
  return r.json().dump();
}

}  // namespace

ConfigFigures derive(const ConfigRecord& c) {
  ConfigFigures f;
  f.total = stats_of(c.total_ms);
  f.launch_skew = stats_of(c.launch_skew_ms);
  f.launch = stats_of(c.launch_ms);
  for (const auto& p : c.phases) {
    f.phases.push_back(derive_phase(p));
    f.bytes_per_rank += p.bytes_per_rank;
  }
  f.GBps = ratio(double(f.bytes_per_rank), f.total.median * 1e6);
  f.floor = round_trip_floor(c);
  f.floor_ratio = floor_ratio(f.floor, f.total.median);
  f.contended = stats_of(c.contention.total_ms);
  f.contended_ratio = ratio(f.contended.median, f.total.median);
  repetitions(c.total_ms, c.repetition_sizes, f.repetition_medians_ms, f.repetition_spread);
  return f;
}

std::vector<ConfigFigures> derive(const std::vector<ConfigRecord>& configs) {
  std::vector<ConfigFigures> out;
  std::map<std::string, double> reference_ms;
  for (const auto& c : configs) {
    out.push_back(derive(c));
    if (c.key.strategy == "reference") reference_ms[reference_key(c.key)] = out.back().total.median;
  }
  for (size_t i = 0; i < configs.size(); ++i) {
    const auto it = reference_ms.find(reference_key(configs[i].key));
    if (it != reference_ms.end() && out[i].total.median > 0) out[i].speedup = it->second / out[i].total.median;
  }
  return out;
}

CollectiveFigures derive(const CollectiveRecord& c) {
  CollectiveFigures f;
  f.time = stats_of(c.ms);
  f.in_place = stats_of(c.in_place_ms);
  f.suite = stats_of(c.suite_ms);
  f.single = stats_of(c.single_ms);
  f.launch_skew = stats_of(c.launch_skew_ms);
  f.algbw_GBps = ratio(double(c.coll_bytes), f.time.median * 1e6);
  f.busbw_GBps = f.algbw_GBps * c.bus_factor;
  f.in_place_algbw_GBps = ratio(double(c.coll_bytes), f.in_place.median * 1e6);
  f.in_place_busbw_GBps = f.in_place_algbw_GBps * c.bus_factor;
  const double bare = c.suite_in_place ? f.in_place.median : f.time.median;
  f.suite_overhead_pct = bare > 0 ? 100.0 * (f.suite.median / bare - 1.0) : 0.0;
  f.single_launch_over_pct = bare > 0 ? 100.0 * (f.single.median / bare - 1.0) : 0.0;
  f.floor_ratio = floor_ratio(c.floor, f.time.median);
  repetitions(c.ms, c.repetition_sizes, f.repetition_medians_ms, f.repetition_spread);
  return f;
}

}  // namespace bb
