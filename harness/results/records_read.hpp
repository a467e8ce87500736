#pragma once
// The one reader of a written results file back into records (results/records.hpp), for what is
// shown of a file written earlier (bench/results_summary): a config's key and id as written, its
// raw samples (round trip, host series, phases), its phases' work and floors, its check and
// byte model. Path activity and contention are not read back. A file of schema version 4 or
// later has every config's "key"; scripts/summary.py upgrades an older one first.
#include <nlohmann/json.hpp>

#include "results/records.hpp"

namespace bb {

// Error("bad_results") names what is missing or malformed.
ConfigRecord config_record_from_json(const nlohmann::json& c);
// A "failures" or "skipped" entry (its message under "error" or "reason").
Refusal refusal_from_json(const nlohmann::json& r);

}  // namespace bb
