// The point-to-point strategy: each rank receives exactly the cells (sample x CP chunk) it lacks,
// the per-rank minimum of issue 10 (harness/plan/exchange.hpp), through one grouped send/recv
// per direction (ncclSend/ncclRecv inside one group call). The exchange engine, shared with
// alltoall, is harness/bridge/cell_exchange.cpp.
#include <algorithm>

#include "bridge/cell_exchange.hpp"

namespace bb {
namespace {

// Breaks one cell on purpose, the same way on every rank, so the oracle's tests can prove it
// catches a lost cell and a cell delivered to the wrong CP sibling.
void apply_faults(const P2PFaults& f, const Plan& p, std::vector<CellMove>& fwd, std::vector<CellMove>& bwd) {
  auto crosses = [](const CellMove& m) { return m.from != m.to; };
  if (f.drop_chunk) {
    auto& v = std::any_of(fwd.begin(), fwd.end(), crosses) ? fwd : bwd;
    auto it = std::find_if(v.begin(), v.end(), crosses);
    if (it != v.end()) v.erase(it);
  }
  if (f.wrong_cp_sibling && p.dest_cp > 1 && !fwd.empty()) {
    CellMove& m = fwd.front();
    m.to = (*p.cp_group_of(m.to))[size_t((p.dest_of(m.to).cp + 1) % p.dest_cp)];
    std::stable_sort(fwd.begin(), fwd.end(), [](const CellMove& a, const CellMove& b) { return a.to < b.to; });
  }
}

}  // namespace

std::unique_ptr<Strategy> make_p2p(P2PFaults faults) {
  CellExchangeConfig cfg;
  cfg.name = faults.drop_chunk ? "p2p-dropped-chunk" : faults.wrong_cp_sibling ? "p2p-wrong-cp-sibling" : "p2p";
  cfg.description =
      "grouped send/recv of exactly the cells each rank lacks; CP shard straight from the exchange, backward "
      "without zero padding or reduction";
  if (faults.drop_chunk || faults.wrong_cp_sibling)
    cfg.tamper = [faults](const Plan& p, std::vector<CellMove>& fwd, std::vector<CellMove>& bwd) {
      apply_faults(faults, p, fwd, bwd);
    };
  return make_cell_exchange_strategy(std::move(cfg));
}

std::unique_ptr<Strategy> make_p2p_strategy() { return make_p2p(); }

}  // namespace bb
