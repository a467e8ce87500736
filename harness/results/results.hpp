#pragma once
// The results JSON (docs/results-schema.md): the schema version, the environment, and one
// object per config. Measurement and summary live here; printing lives in the binaries.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/sweep.hpp"
#include "config/validate.hpp"
#include "run/round_trip.hpp"
#include "plan/audit.hpp"
#include "results/config_key.hpp"
#include "results/floors.hpp"

namespace bb {

constexpr int kSchemaVersion = 5;  // docs/results-schema.md, "Changes in version 5"

struct Stats {
  double median = 0, min = 0, max = 0, mean = 0;
};
Stats stats_of(std::vector<double> v);

// The phase table (measure/phases.hpp) as the results JSON carries it: the scripts read the
// phases, their roles and colours from here, never from a copy of their own.
nlohmann::ordered_json phase_table_json();

// The oracle passes only honestly: a config whose check saw no element, or fewer than its
// tensors hold (elements_expected, when reported), is Error("incomplete_check"), never a pass.
void require_complete_check(const CheckOutcome& c);

// semantics §10's floor of one phase, the one formula configs and bare collectives share: a collective
// over the links is its received bytes over the link bandwidth; a local copy (traffic = read +
// written bytes), or a collective emulated as copies (2 x received bytes), is its traffic over the
// copy bandwidth, which ranks sharing one memory share.
struct Floor {
  double ms = 0;
  std::string basis = "memcpy";  // "memcpy", or the link class ("nvlink", "ib", ...)
  bool known = true;             // false: no floor for this link (basis says why); JSON null
};
Floor phase_floor(const Floors& f, bool collective, int64_t bytes);

// The strategy's declared bytes for a config (max over the bridge's ranks, per phase and in all)
// against the per-rank minimum (harness/plan/exchange.hpp): the JSON's "byte_model".
nlohmann::ordered_json byte_model_json(const Plan& plan, const BridgeShape& shape, const Strategy& strategy);

// One measured config as the results JSON holds it (docs/results-schema.md, `Config`): its id
// and "key" object from `key`, its grids from `layout`.
nlohmann::ordered_json config_json(const ConfigKey& key, const LayoutCase& layout, const Plan& plan,
                                   const Audit& audit, const RunResult& r, const std::string& backend, int warmup,
                                   const Floors& floors);

// Environment capture: host, time, git commit, command line, GPUs, versions, topology.
// Also the launch (mode, every rank's host and GPU), the NCCL_* / CUDA_VISIBLE_DEVICES
// environment (and what the suite set), and the commit and build flags captured by CMake.
nlohmann::ordered_json environment_json(const std::string& backend, const std::string& command_line);

// Writes to a temp file beside the file `path` names (a symlink is followed and stays a link),
// then renames: readers never see half a file (results/output_file.hpp).
void write_json_atomic(const std::string& path, const nlohmann::ordered_json& j);

}  // namespace bb
