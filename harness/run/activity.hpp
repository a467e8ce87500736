#pragma once
// What the GPUs did per phase (CUPTI, RunOptions.cupti): each phase's busy time, its activity
// counts, and from those which NCCL path each collective phase took (comm/nccl_path.hpp).
// CUPTI attributes work to the phase pushed when it is launched, so graph mode (every phase
// launched at once) measures none of it. Without CUDA nothing is measured.
#include <functional>

#include "run/context.hpp"

namespace bb {

// The loop body's before_measured hook: drops the warm-up's records (empty without CUPTI).
std::function<void()> drop_warmup_activity(const RunContext& cx);

// Consumes the measured iterations' records: rank 0 reads them for every GPU of the process.
// gpu_busy_ms is -1 (not measured) without CUPTI and in graph mode. Collective.
void read_gpu_activity(const RunContext& cx, RunResult& res);

// Which NCCL path each collective phase took, from the activity counts.
void detect_paths(const RunOptions& opts, RunResult& res);

}  // namespace bb
