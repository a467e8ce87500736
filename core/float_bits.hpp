#pragma once
// Exact bit conversions between float and bf16/fp16/fp32 (dtype 0/1/2), round to nearest even.
// One body for the host twins (core/dtype.hpp) and the CUDA sum kernel, so both round alike.
#include <cstdint>
#include <cstring>

#include "core/hd.hpp"

namespace bb {

BB_HD float bits_as_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

BB_HD uint32_t float_as_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

BB_HD float dtype_bits_to_float(uint32_t bits, int dtype) {
  if (dtype == 2) return bits_as_float(bits);
  if (dtype == 0) return bits_as_float(bits << 16);
  uint32_t sign = (bits & 0x8000u) << 16, exp = (bits >> 10) & 0x1f, man = bits & 0x3ff, u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while (!(man & 0x400));
      u = sign | (uint32_t(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | (man << 13);
  } else {
    u = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  return bits_as_float(u);
}

BB_HD uint32_t float_to_dtype_bits(float f, int dtype) {
  const uint32_t u = float_as_bits(f);
  if (dtype == 2) return u;
  if (dtype == 0) {
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40;  // keep NaN a NaN
    return (u + 0x7fffu + ((u >> 16) & 1)) >> 16;
  }
  // fp16; saturates to inf.
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
