#pragma once
// Everything figured from a record's raw samples, in one place: medians and the other stats,
// the round trip's floor, floor ratios, bandwidths, contention ratios, the repetitions' spread,
// and each config's speedup over its `reference`. The JSON writer, the stdout summary and the
// Google Benchmark counters all read these figures; none computes its own.
#include <optional>
#include <string>
#include <vector>

#include "results/records.hpp"

namespace bb {

struct Stats {
  double median = 0, min = 0, max = 0, mean = 0;
};
Stats stats_of(std::vector<double> v);

// A per-phase figure known by its name alone (as nvbench's summaries): derive_phase (derive.cpp)
// adds it, the writer writes it under `key` after the phase's fixed keys, and the stdout summary
// lists it under the config. A new per-phase metric is one line there.
struct NamedFigure {
  std::string key;  // the JSON key, e.g. "p90_ms"
  double value = 0;
};

struct PhaseFigures {
  Stats time;
  double launch_median_ms = 0;
  double algbw_GBps = 0, busbw_GBps = 0;
  std::optional<double> floor_ratio;  // none: the phase has no floor (floor.known false)
  Stats contended;                    // beside the GEMM load (record.contended)
  double contended_ratio = 0;         // to the idle median
  std::vector<NamedFigure> named;     // none yet: see NamedFigure
};

struct ConfigFigures {
  Stats total, launch_skew, launch;
  std::vector<PhaseFigures> phases;  // one per record.phases, same order
  int64_t bytes_per_rank = 0;        // the phases' bytes summed
  double GBps = 0;                   // bytes_per_rank over the round trip's median
  Floor floor;                       // max(the phases' floors summed, the shared-memory floor)
  std::optional<double> floor_ratio;
  Stats contended;
  double contended_ratio = 0;
  std::vector<double> repetition_medians_ms;
  double repetition_spread = 0;  // largest over smallest repetition median
  // Over the `reference` whose key differs only in the strategy (same layout, shape, memory
  // order, dtype, NCCL path, contention, mode and cadence); none where the set has no such one.
  std::optional<double> speedup;
};

struct CollectiveFigures {
  Stats time, in_place, suite, single, launch_skew;
  double algbw_GBps = 0, busbw_GBps = 0, in_place_algbw_GBps = 0, in_place_busbw_GBps = 0;
  // The suite's loop and one launch per iteration against the nccl-tests time of the placement
  // the bridge uses (in place or not), in percent.
  double suite_overhead_pct = 0, single_launch_over_pct = 0;
  std::optional<double> floor_ratio;
  std::vector<double> repetition_medians_ms;
  double repetition_spread = 0;
};

// The figures of a set of configs, speedups within the set included (in the order given).
std::vector<ConfigFigures> derive(const std::vector<ConfigRecord>& configs);
// One config alone: no speedup (it needs the set).
ConfigFigures derive(const ConfigRecord& c);
CollectiveFigures derive(const CollectiveRecord& c);

}  // namespace bb
