#include "driver/summary.hpp"

#include "comm/backend.hpp"
#include "results/derive.hpp"

namespace bb {

namespace {

void print_config(std::FILE* out, const ConfigRecord& c, const ConfigFigures& f) {
  char speed[32] = "-";
  if (f.speedup) std::snprintf(speed, sizeof speed, "%.2fx", *f.speedup);
  // No floor (ranks sharing one GPU, a link of unknown bandwidth): no ratio is printed.
  char floor[16] = "-";
  if (f.floor_ratio) std::snprintf(floor, sizeof floor, "%.1f%%", 100.0 * *f.floor_ratio);
  std::fprintf(out, "%-64s %10.3f %10.3f %9.3f %9.3f %12lld %12lld %8s %8s %7lld\n", c.id.c_str(), f.total.median,
               f.total.min, f.launch_skew.median, f.launch_skew.max, (long long)c.byte_model.comm,
               (long long)c.byte_model.min, floor, speed, (long long)c.check.mismatches);
}

// The phases' named figures (results/derive.hpp NamedFigure), one line per phase that has any.
void print_named(std::FILE* out, const ConfigRecord& c, const ConfigFigures& f) {
  for (size_t i = 0; i < c.phases.size(); ++i) {
    if (f.phases[i].named.empty()) continue;
    std::fprintf(out, "  %-62s %-10s", c.id.c_str(), phase_name(c.phases[i].phase));
    for (const auto& n : f.phases[i].named) std::fprintf(out, " %s=%.4g", n.key.c_str(), n.value);
    std::fprintf(out, "\n");
  }
}

const char* cadence_note(const RunSummary& run) {
  if (!backend_traits(run.backend).gpu)
    return "host simulation: the ranks meet before every iteration; times are host work";
  return run.cadence == Cadence::isolated ? "times exclude the GPU alignment and every host launch latency"
                                          : "times exclude the GPU alignment; host launch gaps are in them";
}

// Which transport NCCL used, and the rehearsal's label: a reader must not take socket times on a
// shared GPU for link measurements.
void print_transport(std::FILE* out, const SummaryTransport& t) {
  std::string names;
  for (const auto& n : t.transports) names += (names.empty() ? "" : ", ") + n;
  std::fprintf(out, "transport: %s%s\n", names.empty() ? "unknown" : names.c_str(),
               t.shared_gpu ? " (shared_gpu: ranks share one GPU; timings are not link measurements, no "
                              "floor ratios)"
                            : "");
  for (const auto& w : t.warnings) std::fprintf(out, "warning: %s\n", w.c_str());
}

}  // namespace

void print_summary(std::FILE* out, const RunSummary& run, const char* results_path) {
  print_summary(out, run, derive(run.configs), results_path);
}

// A gate that opened by itself (measure/timing_loop.hpp gate_timeout_s) let an iteration start
// before all of it was queued, so its times hold host launch latency or a wait of seconds.
static void print_gate_expiries(std::FILE* out, const std::vector<ConfigRecord>& configs) {
  std::vector<const ConfigRecord*> hit;
  for (const auto& c : configs)
    if (c.gate_expiries > 0) hit.push_back(&c);
  if (hit.empty()) return;
  std::fprintf(out, "GATE EXPIRED in %zu config(s): an iteration started before all of it was queued "
               "(its times hold host latency); distrust these and run them again:\n", hit.size());
  for (const ConfigRecord* c : hit) std::fprintf(out, "  %s (%d)\n", c->id.c_str(), c->gate_expiries);
}

void print_summary(std::FILE* out, const RunSummary& run, const std::vector<ConfigFigures>& figures,
                   const char* results_path) {
  std::fprintf(out, "\n%-64s %10s %10s %9s %9s %12s %12s %8s %8s %7s\n", "config", "median_ms", "min_ms", "skew_med",
               "skew_max", "link B/rank", "min B/rank", "floor%", "vs ref", "#wrong");
  for (size_t i = 0; i < run.configs.size(); ++i) print_config(out, run.configs[i], figures[i]);
  for (const auto& f : run.failures)
    std::fprintf(out, "%-64s %10s %10s %9s %9s %12s %12s %8s %8s %7s  %s\n", f.id.c_str(), "-", "-", "-", "-", "-", "-",
                 "-", "-", "FAIL", f.rule.c_str());
  for (size_t i = 0; i < run.configs.size(); ++i) print_named(out, run.configs[i], figures[i]);
  std::fprintf(out, "cadence: %s (%s)\n", cadence_name(run.cadence), cadence_note(run));
  if (run.transport) print_transport(out, *run.transport);
  if (!run.planted.empty()) std::fprintf(out, "%s\n", run.planted.c_str());  // never passes for a real run
  print_gate_expiries(out, run.configs);
  std::fprintf(out, "\nresults: %s (%zu configs, %zu failed, %zu skipped%s)\n", results_path, run.configs.size(),
               run.failures.size(), run.skipped, run.aborted ? ", run aborted" : "");
}

std::string planted_line(const std::string& phase, double pct) {
  char pct_text[32];
  std::snprintf(pct_text, sizeof pct_text, "%g", pct);
  return "SLOWDOWN PLANTED: +" + std::string(pct_text) + "% of " + phase +
         " in every config, on purpose (--test-phase-delay)";
}

}  // namespace bb
