#pragma once
// --benchmark_repetitions: one record per config (or bare collective), whatever the repetition
// count, so every repetition's samples count for the comparison scripts. A repetition only
// appends samples; every figure follows from them (results/derive.hpp).
#include "results/records.hpp"

namespace bb {

// Appends next's samples to kept's: the round trip's, the host series', each phase's (matched by
// phase) and those beside the GEMM load, and the repetition's sample count. What is not a sample
// (the check, the path found, GPU busy time, the load's own figures) stays the first repetition's.
void append_repetition(ConfigRecord& kept, const ConfigRecord& next);
// A bare collective: every series of samples (nccl-tests out of and in place, the suite's loop,
// one launch per iteration, the launch skew); its #wrong adds up.
void append_repetition(CollectiveRecord& kept, const CollectiveRecord& next);

}  // namespace bb
