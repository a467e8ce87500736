#pragma once
// The stdout table: a view of the run's records (results/records.hpp) and their derived figures
// (results/derive.hpp), printed after the run; bench/results_summary prints it for a results
// file read back into records.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "measure/timing_loop.hpp"
#include "results/derive.hpp"
#include "results/records.hpp"

namespace bb {

// Which transport NCCL used (driver/links.hpp), as the summary says it.
struct SummaryTransport {
  std::vector<std::string> transports, warnings;
  bool shared_gpu = false;
};

// What the summary shows of a run.
struct RunSummary {
  std::vector<ConfigRecord> configs;
  std::vector<Refusal> failures;
  size_t skipped = 0;
  bool aborted = false;
  std::string backend;
  Cadence cadence = Cadence::isolated;
  std::optional<SummaryTransport> transport;  // none: the run did not learn its links
  // "SLOWDOWN PLANTED: ..." for a run with the test-only --test-phase-delay, else empty.
  std::string planted;
};

// Each config's time, host launch skew over the ranks (median / max per iteration; the isolated
// cadence keeps it out of the times), link bytes (max over ranks, from the strategy's byte
// model) against the per-rank minimum, ratio to its floor, speedup over the `reference` whose
// key differs only in the strategy (derive), and #wrong; then the failures and what the cadence
// excludes; then one line naming the results file.
// Each phase's named figures (results/derive.hpp NamedFigure) follow, one line per phase.
void print_summary(std::FILE* out, const RunSummary& run, const char* results_path);
// RunSummary::planted for a run planted with +pct% of `phase` (--test-phase-delay).
std::string planted_line(const std::string& phase, double pct);
// The same with the configs' figures given (derive(run.configs), one per config).
void print_summary(std::FILE* out, const RunSummary& run, const std::vector<ConfigFigures>& figures,
                   const char* results_path);

}  // namespace bb
