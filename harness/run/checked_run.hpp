#pragma once
// The checked round trip (buffer set 0), under the oracle: inputs from the pattern, every other
// slot poisoned first so an element the bridge never wrote fails, the forward checked before
// the LLM's gradient goes in, then the backward. Timed iterations never check.
#include "run/buffer_sets.hpp"
#include "run/context.hpp"

namespace bb {

// A member's inputs of one set from the oracle's pattern (the timed iterations' sets too).
void fill_inputs(const RunContext& cx, RankBridge::Buffers& b);

// A member's checked run: counts into res.check (this rank's), records each phase's work into
// res.work, and writes the tensors to opts.dump_dir when set (whether or not the check passes).
void checked_run(const RunContext& cx, BufferSets& sets, RunResult& res);

// What a member must have checked, from the shapes alone (so a check that skipped a tensor
// shows as fewer elements checked than expected).
int64_t elements_expected(const RunContext& cx);

}  // namespace bb
