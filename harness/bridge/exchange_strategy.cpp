// The strategy that runs the cell exchange in both directions (p2p and alltoall are two
// configurations of it, harness/bridge/p2p.cpp and alltoall.cpp): forward into the LLM's CP
// shard, backward into the encoder's gradient, its bytes declared from the exchange lists.
#include <algorithm>

#include "bridge/cell_exchange.hpp"

namespace bb {
namespace {

// A cell's sequence length and the two directions' exchanges, built once per rank and config.
struct Exchanges {
  int64_t L = 0;
  ExchangeSide fwd, bwd;
};

class CellExchangeStrategy final : public Strategy {
 public:
  explicit CellExchangeStrategy(CellExchangeConfig cfg) : cfg_(std::move(cfg)) {}

  std::string name() const override { return cfg_.name; }
  std::string description() const override { return cfg_.description; }
  // The CP shard comes straight out of the exchange; with cp = 1 the shard is the dest tensor.
  bool makes_dest(const RankBridge& rb) const override { return rb.cp() == 1 && !identity(rb.plan()); }
  bool makes_dest_grad(const RankBridge&) const override { return false; }
  std::vector<WorkspaceSpec> workspaces(const RankBridge& rb) const override {
    const Exchanges e = exchanges(rb.plan(), rb.shape(), rb.rank());
    const int64_t cb = cell_bytes(rb.plan(), rb.shape().s, rb.shape().h, int64_t(dtype_size(rb.shape().dtype)));
    std::vector<WorkspaceSpec> ws;
    if (int64_t n = std::max(e.fwd.send_slots(), e.bwd.send_slots())) ws.push_back({"send", n * cb});
    if (int64_t n = std::max(e.fwd.recv_slots(), e.bwd.recv_slots())) ws.push_back({"recv", n * cb});
    return ws;
  }
  std::vector<std::vector<int>> gather_groups(const Plan& p) const override { return exchange_groups(p).groups; }

  // The whole grid's forms and cells from one pass over each direction's moves (exchange_summaries),
  // so any grid the plan accepts is declared in well under a second.
  std::vector<CollectiveUse> collectives(const Plan& p, const BridgeShape& sh) const override {
    const int64_t cb = cell_bytes(p, sh.s, sh.h, int64_t(dtype_size(sh.dtype)));
    const ExchangeGroups eg = exchange_groups(p);
    const auto [fwd_moves, bwd_moves] = moves(p, sh);
    std::vector<CollectiveUse> v;
    for (bool fwd : {true, false}) {
      int64_t msg = 0;
      bool any = false, a2a = false;
      for (const ExchangeSummary& s : exchange_summaries(p, sh, fwd, fwd ? *fwd_moves : *bwd_moves, cfg_.choice)) {
        if (s.form == ExchangeForm::none) continue;
        any = true;
        a2a = s.form == ExchangeForm::all_to_all;
        msg = std::max(msg, a2a ? s.block_cells * cb : s.received_cells * cb);
      }
      if (any)
        v.push_back({fwd ? Phase::fwd_comm : Phase::bwd_comm, a2a ? CollOp::all_to_all : CollOp::send_recv,
                     (fwd ? eg.forward_on_cp : eg.backward_on_cp) ? p.cp_groups : eg.groups, msg});
    }
    return v;
  }

  ByteModel byte_model(const Plan& p, const BridgeShape& sh, int rank) const override {
    const Exchanges e = exchanges(p, sh, rank);
    const int64_t cb = cell_bytes(p, sh.s, sh.h, int64_t(dtype_size(sh.dtype)));
    ByteModel m;
    m[size_t(Phase::fwd_comm)] = e.fwd.bytes(cb);
    m[size_t(Phase::bwd_comm)] = e.bwd.bytes(cb);
    return m;
  }

  void forward(RankBridge& rb) const override {
    auto& B = rb.buf();
    if (identity(rb.plan())) {  // equal DP, cp 1: every cell is already in place
      B.dest = B.shard = B.src;
      return;
    }
    const Exchanges& e = state(rb);
    const bool c1 = rb.cp() == 1;
    const TensorRef out = c1 ? rb.dest_ref(B.dest) : rb.shard_ref(B.shard);
    run_exchange(rb, e.fwd, rb.src_ref(B.src), out, e.L, Phase::fwd_local, Phase::fwd_comm,
                 c1 ? Phase::fwd_local : Phase::cp_shard);
    if (c1) B.shard = B.dest;
    rb.leave();
  }

  void backward(RankBridge& rb) const override {
    auto& B = rb.buf();
    if (identity(rb.plan())) {
      B.src_grad = B.grad_shard;
      return;
    }
    const Exchanges& e = state(rb);
    run_exchange(rb, e.bwd, rb.shard_ref(B.grad_shard), rb.src_ref(B.src_grad), e.L, Phase::bwd_local,
                 Phase::bwd_comm, Phase::bwd_local);
    rb.leave();
  }

 private:
  static bool identity(const Plan& p) { return p.direction == Direction::equal && p.dest_cp == 1; }
  // Both directions' moves: the plan's shared lists, or tampered copies of them.
  std::pair<SharedMoves, SharedMoves> moves(const Plan& p, const BridgeShape& sh) const {
    SharedMoves fwd = forward_moves(p, sh.b), bwd = backward_moves(p, sh.b);
    if (!cfg_.tamper) return {fwd, bwd};
    auto f = *fwd, b = *bwd;
    cfg_.tamper(p, f, b);
    return {std::make_shared<const std::vector<CellMove>>(std::move(f)), std::make_shared<const std::vector<CellMove>>(std::move(b))};
  }
  Exchanges exchanges(const Plan& p, const BridgeShape& sh, int rank) const {
    const auto [fwd, bwd] = moves(p, sh);
    Exchanges e;
    e.L = sh.s / cells_per_sample(p);
    e.fwd = exchange_side(p, sh, true, *fwd, rank, cfg_.choice);
    e.bwd = exchange_side(p, sh, false, *bwd, rank, cfg_.choice);
    return e;
  }
  const Exchanges& state(RankBridge& rb) const {
    return rb.state<Exchanges>([&] { return exchanges(rb.plan(), rb.shape(), rb.rank()); });
  }

  CellExchangeConfig cfg_;
};

}  // namespace

std::unique_ptr<Strategy> make_cell_exchange_strategy(CellExchangeConfig cfg) {
  return std::make_unique<CellExchangeStrategy>(std::move(cfg));
}

}  // namespace bb
