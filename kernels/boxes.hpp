#pragma once
// Memory orders (bsh, sbh) of the bridge's 3-D tensors and the one geometric primitive every local op is
// made of: copy (or zero) a box of whole hidden rows, (batch range) x (sequence range), from one
// tensor to another. The builders merge rows into the widest contiguous runs they can, so a
// `bsh` narrow is a single contiguous copy and an `sbh` narrow one strided 2-D copy.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "pattern.hpp"
#include "segments.hpp"

namespace bb {

struct TensorRef {
  void* ptr = nullptr;
  MemOrder mem = MemOrder::bsh;
  int64_t b = 0, s = 0, h = 0;
  int64_t esize = 2;

  int64_t row_bytes() const { return h * esize; }  // one hidden row
  int64_t stride_b() const { return mem == MemOrder::bsh ? s * h * esize : h * esize; }
  int64_t stride_s() const { return mem == MemOrder::bsh ? h * esize : b * h * esize; }
  int64_t bytes() const { return b * s * h * esize; }
  char* at(int64_t i, int64_t t) const {
    return static_cast<char*>(ptr) + i * stride_b() + t * stride_s();
  }
};

// Appends the segments that copy src[sb0 .. sb0+nb) x [st0 .. st0+nt) to dst at (db0, dt0);
// src.ptr == nullptr zero-fills the box in dst instead.
inline void append_box(std::vector<CopySegment>& out, const TensorRef& dst, int64_t db0,
                       int64_t dt0, const TensorRef* src, int64_t sb0, int64_t st0, int64_t nb,
                       int64_t nt) {
  if (nb <= 0 || nt <= 0) return;
  const int64_t row = dst.row_bytes();
  auto src_at = [&](int64_t i, int64_t t) -> const void* {
    return src ? static_cast<const void*>(src->at(sb0 + i, st0 + t)) : nullptr;
  };
  const bool same = !src || src->mem == dst.mem;
  if (same) {
    // Inner dim (contiguous with h) is s for bsh and b for sbh.
    const bool bsh = dst.mem == MemOrder::bsh;
    int64_t inner = bsh ? nt : nb, outer = bsh ? nb : nt;
    int64_t dpitch = bsh ? dst.stride_b() : dst.stride_s();
    int64_t spitch = src ? (bsh ? src->stride_b() : src->stride_s()) : 0;
    int64_t run = inner * row;
    // Whole inner rows in both tensors: the outer dim is contiguous too.
    if (dpitch == run && (!src || spitch == run)) {
      run *= outer;
      outer = 1;
    }
    out.push_back({dst.at(db0, dt0), src_at(0, 0), outer, run, dpitch, src ? spitch : 0});
    return;
  }
  // Memory-order change (the reference's movedim): one strided segment per index of the shorter dim.
  if (nb <= nt) {
    for (int64_t i = 0; i < nb; ++i)
      out.push_back({dst.at(db0 + i, dt0), src_at(i, 0), nt, row, dst.stride_s(), src->stride_s()});
  } else {
    for (int64_t t = 0; t < nt; ++t)
      out.push_back({dst.at(db0, dt0 + t), src_at(0, t), nb, row, dst.stride_b(), src->stride_b()});
  }
}

// dst[0..size) = src[start..start+size) along the batch dim.
inline std::vector<CopySegment> narrow_segments(const TensorRef& dst, const TensorRef& src,
                                                int64_t start, int64_t size) {
  std::vector<CopySegment> v;
  append_box(v, dst, 0, 0, &src, start, 0, size, src.s);
  return v;
}

// `gathered` holds n tensors of batch b_each back to back, rank-major (what an all-gather of
// contiguous buffers produces); dst concatenates them along its batch dim.
inline std::vector<CopySegment> gather_fixup_segments(const TensorRef& dst, const TensorRef& part0,
                                                      int n) {
  std::vector<CopySegment> v;
  for (int r = 0; r < n; ++r) {
    TensorRef p = part0;
    p.ptr = static_cast<char*>(part0.ptr) + r * part0.bytes();
    append_box(v, dst, r * part0.b, 0, &p, 0, 0, part0.b, part0.s);
  }
  return v;
}

// Whole-tensor copy between memory orders (movedim + contiguous).
inline std::vector<CopySegment> relayout_segments(const TensorRef& dst, const TensorRef& src) {
  std::vector<CopySegment> v;
  append_box(v, dst, 0, 0, &src, 0, 0, src.b, src.s);
  return v;
}

// semantics §5: CP rank r of c keeps chunks r and 2c-1-r (each s/(2c) long), in that order.
inline std::vector<CopySegment> cp_shard_segments(const TensorRef& shard, const TensorRef& full,
                                                  int c, int r) {
  std::vector<CopySegment> v;
  int64_t L = full.s / (2 * c);
  append_box(v, shard, 0, 0, &full, 0, int64_t(r) * L, full.b, L);
  append_box(v, shard, 0, L, &full, 0, int64_t(2 * c - 1 - r) * L, full.b, L);
  return v;
}

// The adjoint: the shard's two chunks back in place, zeros in every other chunk.
inline std::vector<CopySegment> cp_adjoint_segments(const TensorRef& full, const TensorRef& shard,
                                                    int c, int r) {
  std::vector<CopySegment> v;
  int64_t L = full.s / (2 * c);
  int lo = r, hi = 2 * c - 1 - r;
  append_box(v, full, 0, 0, nullptr, 0, 0, full.b, int64_t(lo) * L);
  append_box(v, full, 0, int64_t(lo) * L, &shard, 0, 0, full.b, L);
  append_box(v, full, 0, int64_t(lo + 1) * L, nullptr, 0, 0, full.b, int64_t(hi - lo - 1) * L);
  append_box(v, full, 0, int64_t(hi) * L, &shard, 0, L, full.b, L);
  append_box(v, full, 0, int64_t(hi + 1) * L, nullptr, 0, 0, full.b, int64_t(2 * c - 1 - hi) * L);
  return v;
}

// From the c CP shards gathered rank-major (`shard0` is the first), rebuild batch rows
// [b0, b0+nb) of the full-sequence tensor into dst (whose batch starts at row 0). With b0 = 0 and
// nb = b this is the full unshard; with a slice it fuses the fan-in backward narrow.
inline std::vector<CopySegment> cp_unshard_segments(const TensorRef& dst, const TensorRef& shard0,
                                                    int c, int64_t b0, int64_t nb) {
  std::vector<CopySegment> v;
  int64_t L = shard0.s / 2;
  for (int p = 0; p < c; ++p) {
    TensorRef sh = shard0;
    sh.ptr = static_cast<char*>(shard0.ptr) + p * shard0.bytes();
    append_box(v, dst, 0, int64_t(p) * L, &sh, b0, 0, nb, L);
    append_box(v, dst, 0, int64_t(2 * c - 1 - p) * L, &sh, b0, L, nb, L);
  }
  return v;
}

}  // namespace bb
