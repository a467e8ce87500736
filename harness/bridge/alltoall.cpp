// The all-to-all strategy: the same cell exchange as p2p (harness/bridge/cell_exchange.cpp), as
// one all-to-all per direction over the smallest communicator holding every exchanging pair.
// NCCL's own ncclAlltoAll takes one count for all peers, so a non-uniform exchange is padded to
// the largest pair; it runs where the exchange is uniform or the padded exchange still moves
// fewer bytes than the reference, otherwise the grouped send/recv form (an alltoallv) runs. The
// byte model counts padding as bytes moved and the JSON names the form (the phase's op).
#include <algorithm>

#include "bridge/cell_exchange.hpp"

namespace bb {
namespace {

// The reference's bytes per rank in one direction (max over ranks): forward its batch
// all-gather, backward its CP all_reduce and batch all-gather. Summed over its declared groups'
// members in one pass (its byte model rank by rank would be quadratic in ranks).
int64_t reference_bytes(const Plan& p, const BridgeShape& sh, bool forward) {
  std::vector<int64_t> bytes(size_t(p.size()), 0);  // per grid rank
  for (const auto& u : make_reference()->collectives(p, sh)) {
    if (forward ? u.phase != Phase::fwd_comm : u.phase != Phase::bwd_cp && u.phase != Phase::bwd_comm) continue;
    for (const auto& g : u.groups)
      for (int r : g)
        if (p.in_grid(r)) bytes[size_t(r - p.offset())] += collective_bytes(u.op, int(g.size()), u.msg_bytes).bytes_per_rank;
  }
  return bytes.empty() ? 0 : std::max<int64_t>(0, *std::max_element(bytes.begin(), bytes.end()));
}

bool use_all_to_all(const Plan& p, const BridgeShape& sh, bool forward, int n, int64_t max_pair_cells, bool uniform) {
  if (uniform) return true;
  const int64_t cb = cell_bytes(p, sh.s, sh.h, int64_t(dtype_size(sh.dtype)));
  const int64_t padded = collective_bytes(CollOp::all_to_all, n, max_pair_cells * cb).bytes_per_rank;
  return padded < reference_bytes(p, sh, forward);
}

}  // namespace

std::unique_ptr<Strategy> make_alltoall_strategy() {
  CellExchangeConfig cfg;
  cfg.name = "alltoall";
  cfg.description =
      "the p2p exchange as one all-to-all per direction (ncclAlltoAll, padded to equal counts, where it "
      "beats the reference; else grouped send/recv)";
  cfg.choice = use_all_to_all;
  return make_cell_exchange_strategy(std::move(cfg));
}

}  // namespace bb
