#pragma once
// Host-callable API of the CUDA kernels (plain C++: .cpp files may include it). Every call is
// stream-ordered and asynchronous; pointers are device pointers unless said otherwise. The kernels
// know memory orders and dtypes only, nothing of ranks.
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "pattern.hpp"
#include "segments.hpp"

namespace bb {

// Runs a whole segment list in one launch (lists longer than kCopyMaxSegs, or with segments over
// 2^30 vectors, are split into a few). The access width is the widest of 16/8/4/2/1 bytes that
// every pointer, pitch and row length of the list allows.
constexpr int kCopyMaxSegs = 32;
void cuda_copy_segments(const std::vector<CopySegment>& segs, cudaStream_t stream);
int cuda_copy_width(const std::vector<CopySegment>& segs);  // the width the list would use

// `dev_table` is the pattern table (PatternGeom's doc) in device memory.
void cuda_fill_pattern(void* t, const PatternGeom& g, const int64_t* dev_table, cudaStream_t stream);

// Device-side verify record: mismatches counted with atomics, the lowest mismatching index by
// atomicMin (~0 when none), then that element's expected and actual bits.
struct CudaVerifyRecord {
  unsigned long long mismatches;
  unsigned long long first_index;
  uint32_t expected_bits;
  uint32_t actual_bits;
};
void cuda_verify_pattern(const void* t, const PatternGeom& g, const int64_t* dev_table,
                         CudaVerifyRecord* dev_record, cudaStream_t stream);
VerifyResult to_verify_result(const CudaVerifyRecord& r);

// dst[i] = sum_k srcs[k][i] in `dtype` (0 bf16, 1 fp16, 2 fp32), accumulated in float in source
// order, exactly like host_sum. `srcs` is a host array of n device pointers (n <= kSumMaxSrcs);
// dst may alias a source.
constexpr int kSumMaxSrcs = 64;
void cuda_sum(void* dst, const void* const* srcs, int n, int64_t count, int dtype, cudaStream_t stream);

// The launch gate (gate.cu): holds `stream` until the host-mapped *open_flag reaches `ticket`, or
// for at most timeout_s (then adds 1 to the device counter *expired).
void cuda_gate(const unsigned long long* open_flag, unsigned long long ticket, double timeout_s,
               unsigned int* expired, cudaStream_t stream);

// A one-thread kernel that spins for `ns` nanoseconds of the GPU's global timer (spin.cu): a
// test-only delay of exactly that length on `stream`, whatever the SM clock.
void cuda_spin(int64_t ns, cudaStream_t stream);
// Loads the spin's module now (CUDA loads lazily, at a kernel's first launch, and that load
// waits for running kernels), so the first cuda_spin launches like any later one.
void cuda_spin_load();

}  // namespace bb
