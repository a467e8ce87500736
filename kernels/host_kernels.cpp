#include "host_kernels.hpp"

#include <cstring>

#include "core/dtype.hpp"

namespace bb {

void host_copy_segments(const std::vector<CopySegment>& segs) {
  for (const auto& s : segs) {
    for (int64_t r = 0; r < s.rows; ++r) {
      char* d = static_cast<char*>(s.dst) + r * s.dst_pitch;
      if (s.src)
        std::memmove(d, static_cast<const char*>(s.src) + r * s.src_pitch, size_t(s.row_bytes));
      else
        std::memset(d, 0, size_t(s.row_bytes));
    }
  }
}

static inline void store_bits(void* t, int64_t idx, uint32_t bits, int dtype) {
  if (dtype == 2)
    static_cast<uint32_t*>(t)[idx] = bits;
  else
    static_cast<uint16_t*>(t)[idx] = uint16_t(bits);
}

static inline uint32_t load_bits(const void* t, int64_t idx, int dtype) {
  return dtype == 2 ? static_cast<const uint32_t*>(t)[idx] : static_cast<const uint16_t*>(t)[idx];
}

void host_fill_pattern(void* t, const PatternGeom& g, const int64_t* table) {
  const int64_t n = pattern_elems(g);
  for (int64_t i = 0; i < n; ++i) store_bits(t, i, pattern_bits(g, table, i), g.dtype);
}

VerifyResult host_verify_pattern(const void* t, const PatternGeom& g, const int64_t* table) {
  VerifyResult r;
  const int64_t n = pattern_elems(g);
  for (int64_t i = 0; i < n; ++i) {
    uint32_t want = pattern_bits(g, table, i), got = load_bits(t, i, g.dtype);
    if (want != got) {
      if (r.mismatches == 0) {
        r.first_index = i;
        r.expected_bits = want;
        r.actual_bits = got;
      }
      ++r.mismatches;
    }
  }
  return r;
}

void host_sum(void* dst, const std::vector<const void*>& srcs, int64_t count, int dtype) {
  const DType t = DType(dtype);
  for (int64_t i = 0; i < count; ++i) {
    float acc = 0.f;
    for (const void* s : srcs) acc += bits_to_float(load_bits(s, i, dtype), t);
    store_bits(dst, i, float_to_bits(acc, t), dtype);
  }
}

}  // namespace bb
