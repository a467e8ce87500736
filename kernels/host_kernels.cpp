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

// The pattern a row at a time: every element of a row (a run of h hidden values) shares its
// sample, position and chunk, so the index arithmetic (three 64-bit divisions) runs once per
// row, not per element, and a value's bits come from a table of the 511 small integers. The
// values are pattern_bits' exactly (tests/test_oracle.cpp holds them equal).
namespace {

struct SmallIntBits {
  uint32_t bits[511];
  explicit SmallIntBits(int dtype) {
    for (int v = -255; v <= 255; ++v) bits[v + 255] = small_int_bits(v, dtype);
  }
};

const SmallIntBits& small_int_table(int dtype) {
  static const SmallIntBits t[3] = {SmallIntBits(0), SmallIntBits(1), SmallIntBits(2)};
  return t[dtype];
}

// Calls row(first element index, sample or -1, global position) for every row of g.
template <class Row>
void for_each_row(const PatternGeom& g, const int64_t* table, Row row) {
  const int64_t rows = g.h > 0 ? pattern_elems(g) / g.h : 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t i, t, hid;
    int chunk;
    pattern_locate(g, r * g.h, &i, &t, &hid, &chunk);
    row(r * g.h, table[i * pattern_chunks(g) + chunk], t);
  }
}

template <class T>
void fill_rows(T* out, const PatternGeom& g, const int64_t* table) {
  const uint32_t* bits = small_int_table(g.dtype).bits;
  for_each_row(g, table, [&](int64_t base, int64_t sample, int64_t t) {
    for (int64_t hid = 0; hid < g.h; ++hid)
      out[base + hid] = sample < 0 ? T(0) : T(bits[pattern_value(sample, t, hid, g.salt) + 255]);
  });
}

template <class T>
VerifyResult verify_rows(const T* in, const PatternGeom& g, const int64_t* table) {
  const uint32_t* bits = small_int_table(g.dtype).bits;
  VerifyResult r;
  for_each_row(g, table, [&](int64_t base, int64_t sample, int64_t t) {
    for (int64_t hid = 0; hid < g.h; ++hid) {
      const uint32_t want = sample < 0 ? 0u : uint32_t(T(bits[pattern_value(sample, t, hid, g.salt) + 255]));
      const uint32_t got = in[base + hid];
      if (want == got) continue;
      if (r.mismatches == 0) {
        r.first_index = base + hid;
        r.expected_bits = want;
        r.actual_bits = got;
      }
      ++r.mismatches;
    }
  });
  return r;
}

}  // namespace

void host_fill_pattern(void* t, const PatternGeom& g, const int64_t* table) {
  if (g.dtype == 2) fill_rows(static_cast<uint32_t*>(t), g, table);
  else fill_rows(static_cast<uint16_t*>(t), g, table);
}

VerifyResult host_verify_pattern(const void* t, const PatternGeom& g, const int64_t* table) {
  return g.dtype == 2 ? verify_rows(static_cast<const uint32_t*>(t), g, table)
                      : verify_rows(static_cast<const uint16_t*>(t), g, table);
}

// A block of elements at a time, source by source (each element still sums 0 + src0 + src1 +
// ... in that order, rounded once at the end), with the dtype a constant: the per-element
// dtype dispatch made this host "collective" ten times slower than the memory it reads.
namespace {

template <int kDtype, class T>
void sum_blocks(T* dst, const std::vector<const void*>& srcs, int64_t count) {
  constexpr int64_t kBlock = 2048;
  float acc[kBlock];
  for (int64_t at = 0; at < count; at += kBlock) {
    const int64_t n = count - at < kBlock ? count - at : kBlock;
    for (int64_t j = 0; j < n; ++j) acc[j] = 0.f;
    for (const void* s : srcs) {
      const T* in = static_cast<const T*>(s) + at;
      for (int64_t j = 0; j < n; ++j) acc[j] += dtype_bits_to_float(in[j], kDtype);
    }
    for (int64_t j = 0; j < n; ++j) dst[at + j] = T(float_to_dtype_bits(acc[j], kDtype));
  }
}

}  // namespace

void host_sum(void* dst, const std::vector<const void*>& srcs, int64_t count, int dtype) {
  if (dtype == 0) sum_blocks<0>(static_cast<uint16_t*>(dst), srcs, count);
  else if (dtype == 1) sum_blocks<1>(static_cast<uint16_t*>(dst), srcs, count);
  else sum_blocks<2>(static_cast<uint32_t*>(dst), srcs, count);
}

}  // namespace bb
