#pragma once
// Division by a run-time constant without a hardware divide (the copy kernel needs one per
// 16-byte vector): q = umulhi(n, mul) >> shift, valid for n, d < 2^31 (Granlund-Montgomery, the
// same scheme as CUTLASS's FastDivmod). Host-callable so tests can check it without a GPU.
#include <cstdint>

#include "core/hd.hpp"

namespace bb {

struct FastDiv {
  uint32_t d = 1, mul = 0, shift = 0;
};

BB_HD FastDiv make_fastdiv(uint32_t d) {
  FastDiv f;
  f.d = d;
  if (d > 1) {
    uint32_t l = 0;  // ceil(log2 d)
    while ((uint64_t(1) << l) < d) ++l;
    const uint32_t p = 31 + l;
    f.mul = uint32_t(((uint64_t(1) << p) + d - 1) / d);
    f.shift = p - 32;
  }
  return f;
}

BB_HD uint32_t fastdiv(uint32_t n, const FastDiv& f) {
  if (f.d == 1) return n;
#ifdef __CUDA_ARCH__
  return __umulhi(n, f.mul) >> f.shift;
#else
  return uint32_t((uint64_t(n) * f.mul) >> 32) >> f.shift;
#endif
}

}  // namespace bb
