#pragma once
// The one writer of records (results/records.hpp) as the results JSON holds them
// (docs/results-schema.md: Config, Phase, Collective), each with its derived figures
// (results/derive.hpp). Nothing is computed here.
#include <nlohmann/json.hpp>

#include "results/derive.hpp"
#include "results/records.hpp"

namespace bb {

nlohmann::ordered_json config_json(const ConfigRecord& c, const ConfigFigures& f);
nlohmann::ordered_json collective_json(const CollectiveRecord& c, const CollectiveFigures& f);
nlohmann::ordered_json byte_model_json(const ByteModelRecord& m);
// {"id", "key", "rule", message_key: message}: "reason" for a skip, "error" for a failure.
nlohmann::ordered_json refusal_json(const Refusal& r, const char* message_key);

}  // namespace bb
