#include "config/validate.hpp"

#include <algorithm>

#include "core/checked.hpp"
#include "core/error.hpp"

namespace bb {

void check_shape_fits(const std::array<int64_t, 3>& s, const std::string& what) {
  // The widest dtype is 4 bytes, and fan-in multiplies the batch by at most kMaxRanks: both
  // must keep every byte count of the config in 64 bits.
  const std::string name = what + " " + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
  int64_t n = checked_mul(s[0], s[1], name + ": b x s");
  n = checked_mul(n, s[2], name + ": b x s x h");
  checked_mul(n, 4, name + ": bytes per rank (b x s x h x 4)");
}

ConfigBytes check_config_bytes(const Plan& plan, const BridgeShape& sh) {
  const int64_t es = int64_t(dtype_size(sh.dtype));
  const std::string id = "shape " + std::to_string(sh.b) + "x" + std::to_string(sh.s) + "x" + std::to_string(sh.h);
  ConfigBytes c;
  const int64_t row = checked_mul(checked_mul(sh.s, sh.h, id + ": s x h"), es, id + ": s x h x dtype size");
  c.src = checked_mul(sh.b, row, id + ": src bytes per rank");
  c.dest = checked_mul(dest_batch_for(plan, sh.b), row, id + ": dest bytes per rank");
  // A rank holds a handful of src/dest-sized buffers per set (inputs, outputs, gradients,
  // workspaces): their sum must fit too, or the memory budget's own arithmetic would wrap.
  checked_mul(std::max(c.src, c.dest), 16, id + ": one rank's buffers (16 x the largest tensor)");
  return c;
}

void check_shape(const Plan& plan, const BridgeShape& sh) {
  if (sh.b < 1 || sh.s < 1 || sh.h < 1)
    throw Error("bad_shape", "b, s and h must be >= 1 (got b=" + std::to_string(sh.b) + " s=" +
                                 std::to_string(sh.s) + " h=" + std::to_string(sh.h) + ")");
  if (plan.direction == Direction::fan_out && sh.b % plan.scale != 0)
    throw Error("batch_not_divisible", "src batch " + std::to_string(sh.b) +
                                           " is not divisible by the fan-out scale " +
                                           std::to_string(plan.scale));
  if (plan.dest_cp > 1 && sh.s % (2 * plan.dest_cp) != 0)
    throw Error("seq_not_divisible", "sequence " + std::to_string(sh.s) + " is not divisible by 2*cp = " +
                                         std::to_string(2 * plan.dest_cp) + " (semantics §5 load-balanced chunks)");
  check_config_bytes(plan, sh);
}

}  // namespace bb
