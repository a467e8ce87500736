#include "driver/summary.hpp"

#include <map>
#include <string>

#include "comm/backend.hpp"

namespace bb {

using json = nlohmann::ordered_json;

namespace {

// A config's key object without its strategy (results/config_key.hpp): the configs a speedup
// compares share every other axis (layout, shape, memory order, dtype, NCCL path, contention,
// mode, cadence). Never the id taken apart: a path or contention suffix would follow the strategy.
std::string speedup_group(const json& c) {
  json k = c.at("key");
  k.erase("strategy");
  return k.dump();
}

void print_config(std::FILE* out, const json& c, const std::map<std::string, double>& ref_ms) {
  const std::string id = c["id"].get<std::string>();
  const double med = c["total"]["median_ms"].get<double>();
  const auto it = ref_ms.find(speedup_group(c));
  char speed[32] = "-";
  if (it != ref_ms.end() && med > 0) std::snprintf(speed, sizeof speed, "%.2fx", it->second / med);
  const auto& bm = c["byte_model"];
  // No floor (ranks sharing one GPU, a link of unknown bandwidth): no ratio is printed.
  char floor[16] = "-";
  if (c["floor_ratio"].is_number()) std::snprintf(floor, sizeof floor, "%.1f%%", 100.0 * c["floor_ratio"].get<double>());
  std::fprintf(out, "%-64s %10.3f %10.3f %9.3f %9.3f %12lld %12lld %8s %8s %7lld\n", id.c_str(), med,
               c["total"]["min_ms"].get<double>(), c["launch_skew"]["median_ms"].get<double>(),
               c["launch_skew"]["max_ms"].get<double>(), (long long)bm["comm_bytes_per_rank"].get<int64_t>(),
               (long long)bm["min_bytes_per_rank"].get<int64_t>(), floor, speed,
               (long long)c["check"]["mismatches"].get<int64_t>());
}

const char* cadence_note(const json& env) {
  if (!backend_traits(env["backend"].get<std::string>()).gpu)
    return "host simulation: the ranks meet before every iteration; times are host work";
  return env["cadence"] == "isolated" ? "times exclude the GPU alignment and every host launch latency"
                                      : "times exclude the GPU alignment; host launch gaps are in them";
}

// Which transport NCCL used, and the rehearsal's label: a reader must not take socket times on a
// shared GPU for link measurements.
void print_transport(std::FILE* out, const json& env) {
  if (!env.contains("transport") || !env["transport"].is_object()) return;
  const json& t = env["transport"];
  std::string names;
  for (const auto& n : t["transports"]) names += (names.empty() ? "" : ", ") + n.get<std::string>();
  std::fprintf(out, "transport: %s%s\n", names.empty() ? "unknown" : names.c_str(),
               t["shared_gpu"].get<bool>() ? " (shared_gpu: ranks share one GPU; timings are not link measurements, no "
                                             "floor ratios)"
                                           : "");
  for (const auto& w : t["warnings"]) std::fprintf(out, "warning: %s\n", w.get<std::string>().c_str());
}

}  // namespace

void print_summary(std::FILE* out, const json& results, const char* results_path) {
  const json& configs = results["configs"];
  std::map<std::string, double> ref_ms;
  for (const auto& c : configs)
    if (c["key"]["strategy"] == "reference") ref_ms[speedup_group(c)] = c["total"]["median_ms"].get<double>();
  std::fprintf(out, "\n%-64s %10s %10s %9s %9s %12s %12s %8s %8s %7s\n", "config", "median_ms", "min_ms", "skew_med",
               "skew_max", "link B/rank", "min B/rank", "floor%", "vs ref", "#wrong");
  for (const auto& c : configs) print_config(out, c, ref_ms);
  for (const auto& f : results["failures"])
    std::fprintf(out, "%-64s %10s %10s %9s %9s %12s %12s %8s %8s %7s  %s\n", f["id"].get<std::string>().c_str(), "-", "-",
                 "-", "-", "-", "-", "-", "-", "FAIL", f["rule"].get<std::string>().c_str());
  const json& env = results["environment"];
  std::fprintf(out, "cadence: %s (%s)\n", env["cadence"].get<std::string>().c_str(), cadence_note(env));
  print_transport(out, env);
  if (env.contains("injected_delay"))  // test-only injections: a run that must never pass for a real one
    std::fprintf(out, "FAULT INJECTED: %s (--inject-delay)\n", env["injected_delay"].dump().c_str());
  if (env.contains("injected_phase_delay"))
    std::fprintf(out, "SLOWDOWN PLANTED: %s (--test-phase-delay): every config's phase is slower on purpose\n",
                 env["injected_phase_delay"].dump().c_str());
  std::fprintf(out, "\nresults: %s (%zu configs, %zu failed, %zu skipped%s)\n", results_path, configs.size(),
               results["failures"].size(), results["skipped"].size(), results["aborted"].is_null() ? "" : ", run aborted");
}

}  // namespace bb
