#pragma once
// The bridge's shape vocabulary, below both the harness and the kernels: the memory order of a
// tensor (`mem`: bsh or sbh, never called "layout", which is the parallel layout of a plan) and
// the shape of one bridge config (docs/semantics.md §5). The parallel layout and the batch a
// plan implies live in harness/plan; this header knows no plan.
#include <cstdint>
#include <string>

#include "core/checked.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"

namespace bb {

// Memory order of an activation tensor: [batch][seq][hidden] or [seq][batch][hidden].
enum class MemOrder : int { bsh = 0, sbh = 1 };

inline const char* mem_order_name(MemOrder m) { return m == MemOrder::bsh ? "bsh" : "sbh"; }

inline MemOrder parse_mem_order(const std::string& s) {
  if (s == "bsh") return MemOrder::bsh;
  if (s == "sbh") return MemOrder::sbh;
  throw Error("bad_mem_order", "unknown memory order '" + s + "' (expected bsh or sbh)");
}

// One config's tensor shape: memory order, element type, the src (encoder) local batch per rank,
// sequence length and hidden size.
struct BridgeShape {
  MemOrder mem = MemOrder::bsh;
  DType dtype = DType::bf16;
  int64_t b = 1;
  int64_t s = 256, h = 1024;
};

// Bytes of a [batch][s][h] tensor of this shape's dtype; Error("too_large") past 64 bits.
inline int64_t tensor_bytes(const BridgeShape& sh, int64_t batch) {
  const int64_t rows = checked_mul(batch, sh.s, "tensor rows (batch x seq)");
  return checked_mul(checked_mul(rows, sh.h, "tensor elements"), int64_t(dtype_size(sh.dtype)), "tensor bytes");
}

}  // namespace bb
