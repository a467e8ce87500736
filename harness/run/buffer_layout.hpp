#pragma once
// One buffer set of a rank, described once: its slots in a fixed order (the six standard
// buffers, then the strategy's workspaces). Allocation (the Device's or a path's arena, where
// a slot must sit at the same offset on every rank), the rotation between sets, the checked
// run's poison and the tensor dump all read this list; the cost model's dry run makes its set
// with make_buffer_set too.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bridge/strategy.hpp"

namespace bb {

struct BufferSlot {
  // forward_input: filled from the pattern before the forward; backward_input: the LLM's
  // gradient, poisoned first and filled after the forward; output: written by the round trip (a
  // strategy may re-point it, so each rotation restores it); workspace: the strategy's own.
  enum class Role { forward_input, backward_input, output, workspace };
  std::string name;    // "src", "grad_shard", ... or the workspace's name
  Role role = Role::output;
  bool backward = false;  // read or written by the backward pass (the dump writes it after it)
  bool dumped = false;    // one of the tensors --dump-tensors writes (run/tensor_dump.hpp)
  bool used = true;       // false: the strategy has no such buffer on this rank (nullptr)
  int64_t bytes = 0;
  void* RankBridge::Buffers::*member = nullptr;       // nullptr: a workspace (Buffers::ws[name])
  TensorRef (RankBridge::*ref)(void*) const = nullptr;  // the tensor's shape; nullptr: a workspace
};
using BufferLayout = std::vector<BufferSlot>;

BufferLayout buffer_layout(const Strategy& s, const RankBridge& rb);
void*& slot_ptr(RankBridge::Buffers& b, const BufferSlot& slot);
int64_t layout_bytes(const BufferLayout& layout);  // of the used slots: one set's allocation

// One buffer set of a rank for this strategy (its used slots, each from `alloc(bytes)`).
RankBridge::Buffers make_buffer_set(const Strategy& s, const RankBridge& rb, const std::function<void*(int64_t)>& alloc);

}  // namespace bb
