#pragma once
// semantics §7: the exact oracle. Inputs are filled from global coordinates; expected outputs
// follow the plan's semantics (sections 3-4) position by position, so the same check serves
// canonical and non-canonical orders. For canonical orders the plan semantics equal the data
// loader's sharding (the layout audit proves it); where they do not, the audit says so.
#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"
#include "pattern.hpp"
#include "plan/plan.hpp"

namespace bb {

constexpr uint32_t kSaltActivation = 0x0F1E2D3Cu;  // f: the encoder's output
constexpr uint32_t kSaltGradient = 0x6A5B4C3Du;    // g: the LLM's gradient

// Geometry of a tensor of this bridge: `batch` rows, full sequence or CP shard `cp_rank`.
PatternGeom pattern_geom(const BridgeShape& sh, int64_t batch, int cp_size, int cp_rank, uint32_t salt);

// Sample tables ([batch][2c] global sample ids, -1 = zero) for each checked tensor of `rank`.
std::vector<int64_t> src_table(const Plan& p, int rank, int64_t b);
std::vector<int64_t> dest_table(const Plan& p, int rank, int64_t b);       // forward result
std::vector<int64_t> reduced_grad_table(const Plan& p, int rank, int64_t b);  // after CP sum
std::vector<int64_t> src_grad_table(const Plan& p, int rank, int64_t b);   // backward result

// Human-readable first mismatch: rank, tensor, coordinates, expected and actual values.
std::string describe_mismatch(const std::string& tensor, int rank, const PatternGeom& g,
                              const VerifyResult& r);

}  // namespace bb
