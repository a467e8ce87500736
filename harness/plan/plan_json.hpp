#pragma once
// semantics §8: the plan as JSON (bridge-plan's output, golden/plans.json's "expect").
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "plan/audit.hpp"
#include "plan/plan.hpp"

namespace bb {

nlohmann::ordered_json plan_to_json(const Plan& p, std::optional<int64_t> batch);
nlohmann::ordered_json audit_to_json(const Audit& a);

}  // namespace bb
