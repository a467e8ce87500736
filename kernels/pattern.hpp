#pragma once
// The oracle's value pattern (semantics §7): a value from global coordinates
// (sample, sequence position, hidden index), an integer in [-255, 255] \ {0}, so it is exact in
// bf16, fp16 and fp32 and any sum of it with zeros is exact too. Zero means "nothing here".
//
// A tensor is described by PatternGeom; which global sample sits at each (local batch index,
// sequence chunk) comes from a small table, so the same fill/verify code serves source inputs,
// gathered outputs, CP shards and zero-padded gradients.
#include <cstdint>

#include "core/hd.hpp"
#include "core/shape.hpp"

namespace bb {

struct PatternGeom {
  int mem;           // MemOrder
  int dtype;         // DType
  int64_t b;         // local batch
  int64_t s_local;   // sequence length held by this tensor
  int64_t s_full;    // full sequence length (for CP chunk arithmetic)
  int64_t h;         // hidden
  int cp_size;       // c >= 1; the sequence has 2c chunks
  int cp_rank;       // -1: tensor holds the full sequence; else it is CP shard `cp_rank`
  uint32_t salt;     // distinguishes f (activations) from g (gradients)
};

BB_HD int64_t pattern_elems(const PatternGeom& g) { return g.b * g.s_local * g.h; }
BB_HD int pattern_chunks(const PatternGeom& g) { return 2 * g.cp_size; }

// Element index -> (batch i, global seq position, hidden, chunk).
BB_HD void pattern_locate(const PatternGeom& g, int64_t idx, int64_t* i, int64_t* t_global,
                          int64_t* hid, int* chunk) {
  int64_t t;
  *hid = idx % g.h;
  int64_t rest = idx / g.h;
  if (g.mem == 0) {  // bsh: [b][s][h]
    t = rest % g.s_local;
    *i = rest / g.s_local;
  } else {  // sbh: [s][b][h]
    *i = rest % g.b;
    t = rest / g.b;
  }
  int64_t L = g.s_full / (2 * g.cp_size);
  if (g.cp_rank < 0) {
    *t_global = t;
    // With cp = 1 both chunks map to the same sample, so an odd s (tail past 2L) is harmless.
    int64_t c = L > 0 ? t / L : 0;
    *chunk = int(c < 2 * g.cp_size ? c : 2 * g.cp_size - 1);
  } else if (t < L) {
    *chunk = g.cp_rank;
    *t_global = int64_t(g.cp_rank) * L + t;
  } else {
    *chunk = 2 * g.cp_size - 1 - g.cp_rank;
    *t_global = int64_t(*chunk) * L + (t - L);
  }
}

BB_HD uint32_t pattern_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return uint32_t(x);
}

// Signed integer value of the pattern: magnitude 1..255.
BB_HD int pattern_value(int64_t sample, int64_t t, int64_t hid, uint32_t salt) {
  uint64_t key = (uint64_t(sample) * 0x9E3779B97F4A7C15ULL) ^ (uint64_t(t) * 0xC2B2AE3D27D4EB4FULL) ^
                 (uint64_t(hid) * 0x165667B19E3779F9ULL) ^ (uint64_t(salt) << 32);
  uint32_t m = pattern_mix(key);
  int mag = int(m % 255u) + 1;
  return (m & 0x100000u) ? -mag : mag;
}

// Bits of a small integer v (|v| <= 255) in dtype (0 bf16, 1 fp16, 2 fp32); exact by construction.
BB_HD uint32_t small_int_bits(int v, int dtype) {
  if (v == 0) return 0u;
  uint32_t sign = v < 0 ? 1u : 0u;
  uint32_t m = uint32_t(v < 0 ? -v : v);
  int e = 0;
  while ((m >> (e + 1)) != 0) ++e;
  uint32_t frac = m - (1u << e);
  uint32_t f32 = (sign << 31) | (uint32_t(127 + e) << 23) | (frac << (23 - e));
  if (dtype == 2) return f32;
  if (dtype == 0) return f32 >> 16;
  return (sign << 15) | (uint32_t(15 + e) << 10) | (frac << (10 - e));
}

// Expected bits of element idx: table[i * chunks + chunk] is the global sample, or < 0 for zero.
BB_HD uint32_t pattern_bits(const PatternGeom& g, const int64_t* table, int64_t idx) {
  int64_t i, t, hid;
  int chunk;
  pattern_locate(g, idx, &i, &t, &hid, &chunk);
  int64_t sample = table[i * pattern_chunks(g) + chunk];
  if (sample < 0) return 0u;
  return small_int_bits(pattern_value(sample, t, hid, g.salt), g.dtype);
}

// Outcome of a verify: how many elements differ and the first (lowest index) that does.
struct VerifyResult {
  int64_t mismatches = 0;
  int64_t first_index = -1;
  uint32_t expected_bits = 0;
  uint32_t actual_bits = 0;
};

}  // namespace bb
