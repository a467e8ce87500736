#pragma once
// What a sweep measured, as typed records holding raw samples: a config (one round trip), its
// phases, and a bare collective. Everything figured from samples (medians, floor ratios,
// bandwidths, speedups) is derived by results/derive.hpp, never stored here, so a repetition
// only appends samples (results/repetitions.hpp); results/records_json.hpp writes the JSON.
// Facts of the machine (a phase's floor, the ranks' shared-memory floor) are made once, when
// the record is built, by results.hpp's one formula.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/round_trip.hpp"
#include "plan/audit.hpp"
#include "config/config_key.hpp"
#include "results/floors.hpp"
#include "results/results.hpp"
#include "config/sweep.hpp"

namespace bb {

// The strategy's declared bytes (max over the bridge's ranks, per phase and in all) against the
// per-rank minimum (harness/plan/exchange.hpp): the JSON's "byte_model".
struct ByteModelRecord {
  struct PhaseEntry {
    Phase phase = Phase::fwd_comm;
    std::string op;
    int64_t bytes = 0, padding = 0;
  };
  std::vector<PhaseEntry> phases;  // the phases the strategy declares, in execution order
  int64_t comm = 0, padding = 0, min = 0;
};
ByteModelRecord byte_model_of(const Plan& plan, const BridgeShape& shape, const Strategy& strategy);

// One measured phase of a config.
struct PhaseRecord {
  Phase phase = Phase::fwd_comm;
  std::string kind;  // "local" or "collective"
  std::string op;
  int group_size = 1;
  int64_t bytes_per_rank = 0;  // a collective: the declared maximum over the bridge's ranks
  int64_t padding_bytes_per_rank = 0;
  double bw_bytes = 0;    // what its algbw divides: a collective's nccl-tests size, else its bytes
  double bus_factor = 1;  // busbw = algbw x factor (1 for a local phase)
  Floor floor;
  std::vector<double> samples_ms, launch_samples_ms;  // per measured iteration, max over ranks
  std::vector<double> contended_samples_ms;           // the same, beside the GEMM load
  double gpu_busy_ms = -1;  // per iteration, the first repetition's; < 0: not measured
  PathUsed path_used;       // what ran, judged from the activity (comm/nccl_path.hpp)
  PhaseActivity activity;
  bool collective() const { return kind == "collective"; }
};

// The NCCL path a config asked for and what its buffers got (comm/nccl_path.hpp).
struct PathRecord {
  NcclPath requested = NcclPath::default_path;
  bool registered = false;
  double setup_ms = -1;  // < 0: not measured
  bool activity_measured = false;
};

// The round trip again beside the GEMM load (--contention=gemm), and what the load lost.
struct ContentionRecord {
  bool contended = false;
  std::vector<double> total_ms;
  double alone_tflops = 0, under_tflops = 0, window_ms = 0, lost_ms_per_iter = 0;
};

// One config: its key, layout and plan facts, check, byte model, raw samples, path and contention.
struct ConfigRecord {
  ConfigKey key;
  std::string id;  // key.id(); a file read back keeps the id it was written with
  LayoutCase layout;
  Direction direction = Direction::equal;
  int scale = 1, dest_cp = 1;
  ConfigBytes tensor_bytes;
  std::string backend;
  bool emulated = false;
  CheckOutcome check;
  Audit audit;
  int iterations = 0, warmup = 0, buffer_sets = 1, gate_expiries = 0;
  Cadence cadence = Cadence::isolated;
  std::vector<double> total_ms, launch_skew_ms, launch_ms;
  std::vector<size_t> repetition_sizes;  // total samples each repetition added, in order
  std::vector<PhaseRecord> phases;       // the measured phases, in execution order
  // The round trip also moves every member's bytes through one memory at once where ranks share
  // it: that floor, 0 where they do not (results/floors.hpp).
  double shared_floor_ms = 0;
  int64_t peak_device_bytes = 0;
  ByteModelRecord byte_model;
  std::optional<bool> shared_gpu;  // set once the run learned its links (driver/links.hpp)
  std::vector<double> phase_delay_us;  // --test-phase-delay: the planted delay, one per repetition
  PathRecord path;
  ContentionRecord contention;
};

// The record of one run of a config (the engine's RunResult), with its floors: the writer's input.
ConfigRecord config_record(const ConfigKey& key, const LayoutCase& layout, const Plan& plan, const Audit& audit,
                           const Strategy& strategy, const RunResult& r, const std::string& backend,
                           const Floors& floors);

// A bridge collective timed alone (measure/bare_collective.hpp): the nccl-tests way out of place
// and in place, then through the suite's recorder (the same loop, and one launch per iteration).
struct CollectiveRecord {
  CollectiveKey key;
  std::string id;
  std::string strategies;  // the comma list of those that call it
  int group_size = 1;
  size_t groups = 0;
  int64_t bytes_per_rank = 0, coll_bytes = 0;
  double bus_factor = 1;
  int launches_per_sample = 1, iterations_per_way = 0;
  bool suite_in_place = false;
  std::vector<double> ms, in_place_ms, suite_ms, single_ms, launch_skew_ms;
  std::vector<size_t> repetition_sizes;  // out-of-place samples each repetition added
  Floor floor;
  int64_t wrong = 0;
};

// A config or collective refused before it ran (skipped) or failed while running.
struct Refusal {
  std::string id;
  nlohmann::ordered_json key;  // the key object (ConfigKey::json, CollectiveKey::json)
  std::string rule, message;
};

}  // namespace bb
