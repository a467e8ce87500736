#pragma once
// Every local data movement of the bridge (narrow, gather fix-up, CP shard, zero-padded adjoint,
// and their fusions) is a short list of 2-D copies: `rows` rows of `row_bytes` bytes, with
// independent pitches. A null `src` writes zeros. One kernel runs a whole list in one launch.
#include <cstdint>
#include <vector>

namespace bb {

struct CopySegment {
  void* dst = nullptr;
  const void* src = nullptr;  // nullptr: fill with zeros
  int64_t rows = 0;
  int64_t row_bytes = 0;
  int64_t dst_pitch = 0;
  int64_t src_pitch = 0;
};

// Bytes a list moves through memory (read + write), the roofline denominator.
inline int64_t segment_traffic_bytes(const std::vector<CopySegment>& segs) {
  int64_t total = 0;
  for (const auto& s : segs) total += s.rows * s.row_bytes * (s.src ? 2 : 1);
  return total;
}

}  // namespace bb
