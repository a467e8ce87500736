#pragma once
// Element types the bridge moves. The bridge never does arithmetic except the CP sum, so the
// host side only needs exact bit conversions for the oracle's integer-valued patterns.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"

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
inline float bits_to_float(uint32_t bits, DType t) {
  uint32_t u;
  if (t == DType::fp32) {
    u = bits;
  } else if (t == DType::bf16) {
    u = bits << 16;
  } else {  // fp16
    uint32_t sign = (bits & 0x8000u) << 16, exp = (bits >> 10) & 0x1f, man = bits & 0x3ff;
    if (exp == 0) {
      if (man == 0) {
        u = sign;
      } else {  // subnormal: renormalise
        int e = -1;
        do { ++e; man <<= 1; } while (!(man & 0x400));
        u = sign | ((127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
      }
    } else if (exp == 31) {
      u = sign | 0x7f800000u | (man << 13);
    } else {
      u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint32_t float_to_bits(float f, DType t) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (t == DType::fp32) return u;
  if (t == DType::bf16) {
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40;  // keep NaN a NaN
    return (u + 0x7fffu + ((u >> 16) & 1)) >> 16;
  }
  // fp16, round to nearest even; saturates to inf.
  uint32_t sign = (u >> 16) & 0x8000u;
  int32_t exp = int32_t((u >> 23) & 0xff) - 127 + 15;
  uint32_t man = u & 0x7fffffu;
  if (((u >> 23) & 0xff) == 0xff) return sign | 0x7c00u | (man ? 0x200u : 0u);
  if (exp >= 31) return sign | 0x7c00u;
  if (exp <= 0) {
    if (exp < -10) return sign;
    man |= 0x800000u;
    uint32_t shift = uint32_t(14 - exp);
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return sign | half;
  }
  uint32_t half = sign | (uint32_t(exp) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;
  return half;
}

}  // namespace bb
