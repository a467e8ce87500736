// The segment-list copy: one launch moves every 2-D box of a bridge op (narrow, gather fix-up,
// CP shard, fused zero-padded adjoint, relayout, unshard).
//
// Each segment is a flat index space of rows * row_units vectors; it owns a contiguous range of
// blocks, and each block moves kThreads * kUnroll vectors, kUnroll independent loads per thread
// issued before any store. A vector's row comes from a 32-bit multiply-shift division, so there is
// no 64-bit divide per element, and a warp touches consecutive vectors of one row (coalesced).
#include <algorithm>
#include <cstdint>

#include "check.cuh"
#include "cuda_kernels.cuh"
#include "fastdiv.cuh"

namespace bb {
namespace {

constexpr int kThreads = 256;
constexpr int kUnroll = 4;
constexpr uint32_t kVecsPerBlock = kThreads * kUnroll;
constexpr int64_t kMaxSegVecs = int64_t(1) << 30;  // keeps every index below 2^31 (FastDiv's range)

struct SegDesc {
  char* dst;
  const char* src;  // nullptr: zeros
  int64_t dst_pitch, src_pitch;
  uint32_t vecs;         // rows * row_vecs
  uint32_t first_block;  // blocks [first_block, next segment's first_block) are this segment's
  FastDiv row_vecs;
};

struct SegBatch {
  int n;
  SegDesc s[kCopyMaxSegs];
};

template <typename V>
__global__ void __launch_bounds__(kThreads) copy_kernel(const __grid_constant__ SegBatch b) {
  // Segments are few (<= 32) and the scan is uniform across the block: cheaper than a search.
  int j = 0;
  while (j + 1 < b.n && blockIdx.x >= b.s[j + 1].first_block) ++j;
  const SegDesc& sd = b.s[j];
  const uint32_t base = (blockIdx.x - sd.first_block) * kVecsPerBlock + threadIdx.x;
  const uint32_t rv = sd.row_vecs.d;

  if (sd.src) {
    V v[kUnroll];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      const uint32_t u = base + k * kThreads;
      if (u < sd.vecs) {
        const uint32_t row = fastdiv(u, sd.row_vecs), col = u - row * rv;
        v[k] = __ldcs(reinterpret_cast<const V*>(sd.src + row * sd.src_pitch) + col);
      }
    }
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      const uint32_t u = base + k * kThreads;
      if (u < sd.vecs) {
        const uint32_t row = fastdiv(u, sd.row_vecs), col = u - row * rv;
        __stcs(reinterpret_cast<V*>(sd.dst + row * sd.dst_pitch) + col, v[k]);
      }
    }
  } else {
    V zero;
    memset(&zero, 0, sizeof(V));
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      const uint32_t u = base + k * kThreads;
      if (u < sd.vecs) {
        const uint32_t row = fastdiv(u, sd.row_vecs), col = u - row * rv;
        __stcs(reinterpret_cast<V*>(sd.dst + row * sd.dst_pitch) + col, zero);
      }
    }
  }
}

template <typename V>
void launch(const std::vector<CopySegment>& segs, cudaStream_t stream) {
  const int64_t w = sizeof(V);
  SegBatch batch{};
  uint64_t blocks = 0;
  auto flush = [&] {
    if (batch.n == 0) return;
    copy_kernel<V><<<unsigned(blocks), kThreads, 0, stream>>>(batch);
    BB_CUDA_LAUNCHED("copy_kernel");
    batch.n = 0;
    blocks = 0;
  };
  auto add = [&](char* dst, const char* src, int64_t rows, int64_t row_vecs, int64_t dp, int64_t sp) {
    if (batch.n == kCopyMaxSegs) flush();
    SegDesc& d = batch.s[batch.n++];
    d.dst = dst;
    d.src = src;
    d.dst_pitch = dp;
    d.src_pitch = sp;
    d.vecs = uint32_t(rows * row_vecs);
    d.first_block = uint32_t(blocks);
    d.row_vecs = make_fastdiv(uint32_t(row_vecs));
    blocks += (d.vecs + kVecsPerBlock - 1) / kVecsPerBlock;
  };
  for (const CopySegment& s : segs) {
    if (s.rows <= 0 || s.row_bytes <= 0) continue;
    const int64_t row_vecs = s.row_bytes / w;
    // Split huge segments: columns into pieces of <= 2^30 vectors, then rows into groups.
    for (int64_t c0 = 0; c0 < row_vecs; c0 += kMaxSegVecs) {
      const int64_t cv = std::min(kMaxSegVecs, row_vecs - c0);
      const int64_t group = std::max<int64_t>(1, kMaxSegVecs / cv);
      for (int64_t r0 = 0; r0 < s.rows; r0 += group) {
        const int64_t nr = std::min(group, s.rows - r0);
        char* dst = static_cast<char*>(s.dst) + r0 * s.dst_pitch + c0 * w;
        const char* src = s.src ? static_cast<const char*>(s.src) + r0 * s.src_pitch + c0 * w : nullptr;
        add(dst, src, nr, cv, s.dst_pitch, s.src_pitch);
      }
    }
  }
  flush();
}

}  // namespace

int cuda_copy_width(const std::vector<CopySegment>& segs) {
  uint64_t bits = 16;
  for (const CopySegment& s : segs) {
    if (s.rows <= 0 || s.row_bytes <= 0) continue;
    bits |= uint64_t(reinterpret_cast<uintptr_t>(s.dst)) | uint64_t(s.row_bytes);
    if (s.src) bits |= uint64_t(reinterpret_cast<uintptr_t>(s.src));
    if (s.rows > 1) bits |= uint64_t(s.dst_pitch) | uint64_t(s.src ? s.src_pitch : 0);
  }
  return int(bits & (~bits + 1));  // lowest set bit, at most 16
}

void cuda_copy_segments(const std::vector<CopySegment>& segs, cudaStream_t stream) {
  switch (cuda_copy_width(segs)) {
    case 16: launch<uint4>(segs, stream); break;
    case 8: launch<uint2>(segs, stream); break;
    case 4: launch<unsigned int>(segs, stream); break;
    case 2: launch<unsigned short>(segs, stream); break;
    default: launch<unsigned char>(segs, stream); break;
  }
}

}  // namespace bb
