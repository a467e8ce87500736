#pragma once
// Length of the union of time intervals: a phase's GPU busy time counts overlapping work
// (an NCCL kernel next to a local copy, two streams) once. Pure, so it is tested on the host.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace bb {

struct Interval {
  uint64_t start = 0;  // half-open [start, end), any unit (CUPTI gives nanoseconds)
  uint64_t end = 0;
};

// Empty and reversed intervals count nothing (CUPTI reports 0/0 for records it could not time).
inline uint64_t union_length(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  uint64_t total = 0;
  bool open = false;
  Interval cur;
  for (const Interval& iv : intervals) {
    if (iv.end <= iv.start) continue;
    if (open && iv.start <= cur.end) {
      cur.end = std::max(cur.end, iv.end);
      continue;
    }
    if (open) total += cur.end - cur.start;
    cur = iv;
    open = true;
  }
  if (open) total += cur.end - cur.start;
  return total;
}

}  // namespace bb
