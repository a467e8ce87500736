#include "run/buffer_layout.hpp"

namespace bb {

BufferLayout buffer_layout(const Strategy& s, const RankBridge& rb) {
  using R = BufferSlot::Role;
  using B = RankBridge::Buffers;
  const TensorRef src = rb.src_ref(nullptr), shard = rb.shard_ref(nullptr), dest = rb.dest_ref(nullptr);
  BufferLayout l{
      {"src", R::forward_input, false, true, true, src.bytes(), &B::src, &RankBridge::src_ref},
      {"grad_shard", R::backward_input, true, true, true, shard.bytes(), &B::grad_shard, &RankBridge::shard_ref},
      {"src_grad", R::output, true, true, true, src.bytes(), &B::src_grad, &RankBridge::src_ref},
      // With cp = 1 the LLM's shard is the whole sequence: the strategy points it at its output.
      {"shard", R::output, false, true, rb.plan().dest_cp > 1, shard.bytes(), &B::shard, &RankBridge::shard_ref},
      {"dest", R::output, false, true, s.makes_dest(rb), dest.bytes(), &B::dest, &RankBridge::dest_ref},
      {"dest_grad", R::output, true, false, s.makes_dest_grad(rb), dest.bytes(), &B::dest_grad, &RankBridge::dest_ref},
  };
  for (const auto& w : s.workspaces(rb)) l.push_back({w.name, R::workspace, false, false, true, w.bytes, nullptr, nullptr});
  return l;
}

void*& slot_ptr(RankBridge::Buffers& b, const BufferSlot& slot) {
  return slot.member ? b.*slot.member : b.ws[slot.name];
}

int64_t layout_bytes(const BufferLayout& layout) {
  int64_t n = 0;
  for (const auto& s : layout)
    if (s.used) n += s.bytes;
  return n;
}

RankBridge::Buffers make_buffer_set(const Strategy& s, const RankBridge& rb, const std::function<void*(int64_t)>& alloc) {
  RankBridge::Buffers b;
  for (const auto& slot : buffer_layout(s, rb))
    if (slot.used) slot_ptr(b, slot) = alloc(slot.bytes);
  return b;
}

}  // namespace bb
