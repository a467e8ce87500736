// The fused strategy: the same result as the reference with fewer bytes.
//  - No memory-order changes around the all-gather: gather the native tensors rank-major and place
//    them with one fix-up pass (none for bsh, where the gather output is already in place).
//  - The CP shard is fused with the narrow / fix-up that precedes it: only the rank's own
//    chunks are ever written.
//  - The CP backward all-gathers the compact shards ((c-1)/c of the gradient received) instead
//    of all-reducing the zero-padded full gradient (2(c-1)/c), and never writes the zeros; the
//    rebuild is fused with the fan-in narrow (only this rank's slice is written).
//  - Identity (equal DP, cp=1) hands over the buffer instead of copying it.
#include "bridge/strategy.hpp"
#include "plan/audit.hpp"

namespace bb {
namespace {

// Boxes that copy, for each of `n` rank-major parts of batch `part_b` (full sequence), the CP
// chunks of rank `r` into shard rows [k*part_b, (k+1)*part_b). With n = 1 it shards one tensor,
// optionally restricted to batch rows [b0, b0+nb) of the source.
std::vector<CopySegment> shard_from_parts(const TensorRef& shard, const TensorRef& part0, int n,
                                          int c, int r, int64_t b0, int64_t nb) {
  std::vector<CopySegment> v;
  const int64_t L = part0.s / (2 * c);
  for (int k = 0; k < n; ++k) {
    TensorRef p = part0;
    p.ptr = static_cast<char*>(part0.ptr) + k * part0.bytes();
    append_box(v, shard, k * nb, 0, &p, b0, int64_t(r) * L, nb, L);
    append_box(v, shard, k * nb, L, &p, b0, int64_t(2 * c - 1 - r) * L, nb, L);
  }
  return v;
}

class Fused final : public Strategy {
 public:
  std::string name() const override { return "fused"; }
  std::string description() const override {
    return "one-pass fix-ups, CP shard fused with narrow/fix-up, CP backward as all-gather of compact shards";
  }
  bool makes_dest(const RankBridge& rb) const override {
    return rb.cp() == 1 && rb.plan().direction != Direction::equal;
  }
  bool makes_dest_grad(const RankBridge& rb) const override {
    return rb.cp() > 1 && rb.plan().direction == Direction::fan_out;
  }
  std::vector<WorkspaceSpec> workspaces(const RankBridge& rb) const override {
    const int64_t src = rb.src_ref(nullptr).bytes(), dest = rb.dest_ref(nullptr).bytes();
    const bool sbh = rb.shape().mem == MemOrder::sbh;
    std::vector<WorkspaceSpec> ws;
    const Direction d = rb.plan().direction;
    if (d == Direction::fan_in && (sbh || rb.cp() > 1)) ws.push_back({"gathered", dest});
    if (d == Direction::fan_out && sbh) ws.push_back({"gathered", src});
    if (rb.cp() > 1) ws.push_back({"cp_gathered", dest});
    return ws;
  }

  // The reference's batch all-gathers; the CP backward all-gathers compact shards.
  std::vector<CollectiveUse> collectives(const Plan& p, const BridgeShape& sh) const override {
    const int64_t src = tensor_bytes(sh, sh.b), dest = tensor_bytes(sh, dest_batch_for(p, sh.b));
    std::vector<CollectiveUse> v;
    if (p.direction == Direction::fan_in) v.push_back({Phase::fwd_comm, CollOp::all_gather, p.gather_groups, src});
    if (p.dest_cp > 1) v.push_back({Phase::bwd_cp, CollOp::all_gather, p.cp_groups, dest / p.dest_cp});
    if (p.direction == Direction::fan_out) v.push_back({Phase::bwd_comm, CollOp::all_gather, p.gather_groups, dest});
    return v;
  }

  void forward(RankBridge& rb) const override {
    auto& B = rb.buf();
    const auto src = rb.src_ref(B.src);
    const int c = rb.cp(), r = rb.cp_rank();
    const auto shard = rb.shard_ref(B.shard);
    switch (rb.plan().direction) {
      case Direction::fan_in: {
        Comm& g = *rb.gather_comm();
        const int n = g.size();
        if (src.mem == MemOrder::bsh && c == 1) {
          rb.enter(Phase::fwd_comm);
          rb.all_gather(g, src.ptr, B.dest, size_t(src.bytes()));
          break;
        }
        void* gathered = B.ws.at("gathered");
        rb.enter(Phase::fwd_comm);
        rb.all_gather(g, src.ptr, gathered, size_t(src.bytes()));
        TensorRef part0 = src;
        part0.ptr = gathered;
        if (c == 1) {  // sbh: place the rank-major parts in one pass
          rb.enter(Phase::fwd_local);
          rb.local(gather_fixup_segments(rb.dest_ref(B.dest), part0, n));
        } else {  // shard straight out of the gathered parts
          rb.enter(Phase::cp_shard);
          rb.local(shard_from_parts(shard, part0, n, c, r, 0, src.b));
        }
        break;
      }
      case Direction::fan_out: {
        Slice s = rb.plan().slice(rb.rank(), rb.shape().b);
        if (c == 1) {
          rb.enter(Phase::fwd_local);
          rb.local(narrow_segments(rb.dest_ref(B.dest), src, s.start, s.size));
        } else {
          rb.enter(Phase::cp_shard);
          rb.local(shard_from_parts(shard, src, 1, c, r, s.start, s.size));
        }
        break;
      }
      case Direction::equal:
        if (c == 1) {
          B.dest = B.src;  // identity: hand the buffer over
        } else {
          rb.enter(Phase::cp_shard);
          rb.local(shard_from_parts(shard, src, 1, c, r, 0, src.b));
        }
        break;
    }
    if (c == 1) B.shard = B.dest;
    rb.leave();
  }

  void backward(RankBridge& rb) const override {
    auto& B = rb.buf();
    const int c = rb.cp();
    const auto out = rb.src_ref(B.src_grad);
    const Direction d = rb.plan().direction;
    if (c == 1) {
      const auto g = rb.dest_ref(B.grad_shard);
      if (d == Direction::fan_in) {
        Slice s = rb.plan().slice(rb.rank(), rb.dest_batch());
        rb.enter(Phase::bwd_local);
        rb.local(narrow_segments(out, g, s.start, s.size));
      } else if (d == Direction::fan_out) {
        gather(rb, g, out);
      } else {
        B.src_grad = B.grad_shard;
      }
      rb.leave();
      return;
    }
    const auto shard = rb.shard_ref(B.grad_shard);
    TensorRef shard0 = shard;
    shard0.ptr = B.ws.at("cp_gathered");
    rb.enter(Phase::bwd_cp);
    rb.all_gather(*rb.cp_comm(), shard.ptr, shard0.ptr, size_t(shard.bytes()));
    rb.enter(Phase::bwd_local);
    if (d == Direction::fan_in) {
      Slice s = rb.plan().slice(rb.rank(), rb.dest_batch());
      rb.local(cp_unshard_segments(out, shard0, c, s.start, s.size));
    } else if (d == Direction::equal) {
      rb.local(cp_unshard_segments(out, shard0, c, 0, out.b));
    } else {
      const auto g = rb.dest_ref(B.dest_grad);
      rb.local(cp_unshard_segments(g, shard0, c, 0, g.b));
      gather(rb, g, out);
    }
    rb.leave();
  }

 private:
  // Fan-out backward: all-gather along the batch dim, one fix-up pass for sbh.
  static void gather(RankBridge& rb, const TensorRef& in, const TensorRef& out) {
    Comm& g = *rb.gather_comm();
    rb.enter(Phase::bwd_comm);
    if (in.mem == MemOrder::bsh) {
      rb.all_gather(g, in.ptr, out.ptr, size_t(in.bytes()));
      return;
    }
    void* gathered = rb.buf().ws.at("gathered");
    rb.all_gather(g, in.ptr, gathered, size_t(in.bytes()));
    TensorRef part0 = in;
    part0.ptr = gathered;
    rb.enter(Phase::bwd_local);
    rb.local(gather_fixup_segments(out, part0, g.size()));
  }
};

}  // namespace

std::unique_ptr<Strategy> make_fused_strategy() { return std::make_unique<Fused>(); }

}  // namespace bb
