#pragma once
// The results JSON (docs/results-schema.md): the schema version, the phase table, the environment,
// and the checks and floors a record is built with. The records themselves are
// results/records.hpp, their figures results/derive.hpp, their JSON results/records_json.hpp.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/sweep.hpp"
#include "config/validate.hpp"
#include "run/round_trip.hpp"
#include "plan/audit.hpp"
#include "config/config_key.hpp"
#include "results/floors.hpp"

namespace bb {

constexpr int kSchemaVersion = 6;  // docs/results-schema.md, "Changes in version 6"

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

// Environment capture: host, time, git commit, command line, GPUs, versions, topology.
// Also the launch (mode, every rank's host and GPU), the NCCL_* / CUDA_VISIBLE_DEVICES
// environment (and what the suite set), and the commit and build flags captured by CMake.
nlohmann::ordered_json environment_json(const std::string& backend, const std::string& command_line);

// Writes to a temp file beside the file `path` names (a symlink is followed and stays a link),
// then renames: readers never see half a file (results/output_file.hpp).
void write_json_atomic(const std::string& path, const nlohmann::ordered_json& j);

}  // namespace bb
