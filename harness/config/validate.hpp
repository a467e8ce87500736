#pragma once
// Pre-run validation of a config: the one home of the checks a config passes before anything
// is allocated or run (the sweep's points, run_round_trip, the results writer's byte counts).
// Rule ids and messages: docs/bad-input.md.
#include <array>
#include <cstdint>
#include <string>

#include "core/shape.hpp"
#include "plan/plan.hpp"

namespace bb {

// A b x s x h as given (a --shapes item, a sweep file's shape), before any plan: every byte
// count of it must fit 64 bits at the widest dtype (Error("too_large") naming `what`).
void check_shape_fits(const std::array<int64_t, 3>& bsh, const std::string& what);

// Per-rank bytes of a config's src and dest tensors; Error("too_large") when they, or 16 times
// the larger (a bound on one rank's buffers), overflow 64 bits (dest batch = src batch x scale).
struct ConfigBytes {
  int64_t src = 0, dest = 0;
};
ConfigBytes check_config_bytes(const Plan& plan, const BridgeShape& shape);

// Every check of a shape against a plan, before anything runs (rule ids: bad_shape,
// batch_not_divisible, seq_not_divisible, then check_config_bytes's too_large).
void check_shape(const Plan& plan, const BridgeShape& shape);

}  // namespace bb
