#pragma once
// Element types the bridge moves. The bridge never does arithmetic except the CP sum, so the
// host side only needs exact bit conversions for the oracle's integer-valued patterns.
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/float_bits.hpp"

namespace bb {

enum class DType : int { bf16 = 0, fp16 = 1, fp32 = 2 };

inline size_t dtype_size(DType t) { return t == DType::fp32 ? 4 : 2; }

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::bf16: return "bf16";
    case DType::fp16: return "fp16";
    case DType::fp32: return "fp32";
  }
  return "?";
}

inline DType parse_dtype(const std::string& s) {
  if (s == "bf16") return DType::bf16;
  if (s == "fp16") return DType::fp16;
  if (s == "fp32") return DType::fp32;
  throw Error("bad_dtype", "unknown dtype '" + s + "' (expected bf16, fp16 or fp32)");
}

// Bit-level conversions (round to nearest even). Used by the host all_reduce and the oracle.
inline float bits_to_float(uint32_t bits, DType t) { return dtype_bits_to_float(bits, int(t)); }
inline uint32_t float_to_bits(float f, DType t) { return float_to_dtype_bits(f, int(t)); }

}  // namespace bb
