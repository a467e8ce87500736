#pragma once
// Host twins of the CUDA kernels: same inputs, host memory. The host backend and the tests use
// them; the GPU tests compare the CUDA kernels against them.
#include <cstdint>
#include <vector>

#include "pattern.hpp"
#include "segments.hpp"

namespace bb {

void host_copy_segments(const std::vector<CopySegment>& segs);
void host_fill_pattern(void* t, const PatternGeom& g, const int64_t* table);
VerifyResult host_verify_pattern(const void* t, const PatternGeom& g, const int64_t* table);
// dst[i] = sum_k srcs[k][i] in `dtype` (0 bf16, 1 fp16, 2 fp32), accumulated in float.
void host_sum(void* dst, const std::vector<const void*>& srcs, int64_t count, int dtype);

}  // namespace bb
