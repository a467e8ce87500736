// The reference strategy: exactly the reference bridge's ops (semantics §4), including its
// costs: a batch dim that is not dim 0 (sbh) is moved to the front before the all-gather and
// back after it (two extra full copies), and the CP backward is an all_reduce of the zero-padded
// gradient.
#include <algorithm>

#include "bridge/strategy.hpp"
#include "plan/audit.hpp"

namespace bb {
namespace {

class Reference final : public Strategy {
 public:
  explicit Reference(ReferenceFaults f) : f_(f) {}

  std::string name() const override {
    if (f_.skip_cp_reduce) return "reference-without-cp-reduce";
    if (f_.reverse_gather) return "reference-reversed-gather";
    return "reference";
  }
  std::string description() const override {
    return "the reference ops: movedim+all_gather+movedim, narrow, zero-padded CP all_reduce";
  }
  bool makes_dest(const RankBridge&) const override { return true; }
  bool makes_dest_grad(const RankBridge& rb) const override { return rb.cp() > 1; }

  std::vector<WorkspaceSpec> workspaces(const RankBridge& rb) const override {
    if (rb.shape().mem != MemOrder::sbh) return {};
    const int64_t src = rb.src_ref(nullptr).bytes(), dest = rb.dest_ref(nullptr).bytes();
    switch (rb.plan().direction) {
      case Direction::fan_in: return {{"pack", src}, {"gathered", dest}};
      case Direction::fan_out: return {{"pack", dest}, {"gathered", src}};
      case Direction::equal: return {};
    }
    return {};
  }

  std::vector<std::vector<int>> gather_groups(const Plan& p) const override {
    auto g = p.gather_groups;
    if (f_.reverse_gather)
      for (auto& grp : g) std::reverse(grp.begin(), grp.end());
    return g;
  }

  // semantics §10: the batch all-gather (fan-in forward of src tensors, fan-out backward of dest
  // gradients) and the zero-padded CP all_reduce.
  std::vector<CollectiveUse> collectives(const Plan& p, const BridgeShape& sh) const override {
    const int64_t src = tensor_bytes(sh, sh.b), dest = tensor_bytes(sh, dest_batch_for(p, sh.b));
    std::vector<CollectiveUse> v;
    if (p.direction == Direction::fan_in) v.push_back({Phase::fwd_comm, CollOp::all_gather, gather_groups(p), src});
    if (p.dest_cp > 1 && !f_.skip_cp_reduce) v.push_back({Phase::bwd_cp, CollOp::all_reduce, p.cp_groups, dest});
    if (p.direction == Direction::fan_out) v.push_back({Phase::bwd_comm, CollOp::all_gather, gather_groups(p), dest});
    return v;
  }

  void forward(RankBridge& rb) const override {
    auto& B = rb.buf();
    const auto src = rb.src_ref(B.src), dest = rb.dest_ref(B.dest);
    switch (rb.plan().direction) {
      case Direction::fan_in:
        gather_along_batch(rb, src, dest, Phase::fwd_local, Phase::fwd_comm);
        break;
      case Direction::fan_out: {
        Slice s = rb.plan().slice(rb.rank(), rb.shape().b);
        rb.enter(Phase::fwd_local);
        rb.local(narrow_segments(dest, src, s.start, s.size));
        break;
      }
      case Direction::equal:
        rb.enter(Phase::fwd_local);
        rb.local(narrow_segments(dest, src, 0, src.b));
        break;
    }
    if (rb.cp() > 1) {
      rb.enter(Phase::cp_shard);
      rb.local(cp_shard_segments(rb.shard_ref(B.shard), dest, rb.cp(), rb.cp_rank()));
    } else {
      B.shard = B.dest;
    }
    rb.leave();
  }

  void backward(RankBridge& rb) const override {
    auto& B = rb.buf();
    if (rb.cp() > 1) {
      rb.enter(Phase::cp_adjoint);
      rb.local(cp_adjoint_segments(rb.dest_ref(B.dest_grad), rb.shard_ref(B.grad_shard), rb.cp(),
                                   rb.cp_rank()));
      if (!f_.skip_cp_reduce) {
        rb.enter(Phase::bwd_cp);
        rb.all_reduce(*rb.cp_comm(), B.dest_grad,
                      size_t(rb.dest_ref(nullptr).bytes()) / dtype_size(rb.shape().dtype));
      }
    } else {
      B.dest_grad = B.grad_shard;
    }
    const auto g = rb.dest_ref(B.dest_grad), out = rb.src_ref(B.src_grad);
    switch (rb.plan().direction) {
      case Direction::fan_in: {
        Slice s = rb.plan().slice(rb.rank(), rb.dest_batch());
        rb.enter(Phase::bwd_local);
        rb.local(narrow_segments(out, g, s.start, s.size));
        break;
      }
      case Direction::fan_out:
        gather_along_batch(rb, g, out, Phase::bwd_local, Phase::bwd_comm);
        break;
      case Direction::equal:
        rb.enter(Phase::bwd_local);
        rb.local(narrow_segments(out, g, 0, g.b));
        break;
    }
    rb.leave();
  }

 private:
  // All-gather along the batch dim, as the reference does it: a gather concatenates along
  // dim 0, so sbh is moved to bsh first and back after.
  static void gather_along_batch(RankBridge& rb, const TensorRef& in, const TensorRef& out,
                                 Phase local, Phase comm) {
    auto& B = rb.buf();
    Comm& c = *rb.gather_comm();
    if (in.mem == MemOrder::bsh) {
      rb.enter(comm);
      rb.all_gather(c, in.ptr, out.ptr, size_t(in.bytes()));
      return;
    }
    TensorRef packed = rb.tensor(B.ws.at("pack"), in.b, in.s, MemOrder::bsh);
    TensorRef gathered = rb.tensor(B.ws.at("gathered"), out.b, out.s, MemOrder::bsh);
    rb.enter(local);
    rb.local(relayout_segments(packed, in));
    rb.enter(comm);
    rb.all_gather(c, packed.ptr, gathered.ptr, size_t(packed.bytes()));
    rb.enter(local);
    rb.local(relayout_segments(out, gathered));
  }

  ReferenceFaults f_;
};

}  // namespace

std::unique_ptr<Strategy> make_reference(ReferenceFaults faults) {
  return std::make_unique<Reference>(faults);
}

std::unique_ptr<Strategy> make_reference_strategy() { return make_reference(); }

}  // namespace bb
