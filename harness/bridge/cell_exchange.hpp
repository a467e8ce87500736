#pragma once
// One rank's side of a cell exchange (harness/plan/exchange.hpp), shared by the strategies that
// move only the cells a rank lacks (p2p, alltoall): what it copies locally, packs for each peer,
// receives and unpacks, over the communicator of its exchange group. Packing and unpacking are
// each one segment-list copy (one kernel launch), and the exchange is one collective call; with
// send/recv, a peer's cells that form one contiguous run of the tensor (bsh rows often do) are
// sent from or received into the tensor itself, with no staging copy.
#include <functional>
#include <vector>

#include "bridge/strategy.hpp"
#include "plan/exchange.hpp"

namespace bb {

enum class ExchangeForm {
  none,        // no cell of this group crosses the link in this direction: no call at all
  send_recv,   // grouped sends and receives of exactly the cells each pair needs
  all_to_all,  // one all-to-all with every block padded to the largest pair's cells
};

// Decides, for one group and direction, whether a padded all-to-all runs instead of send/recv,
// given the group size, the largest pair's cells and whether every pair moves that many.
using AllToAllChoice = std::function<bool(const Plan& p, const BridgeShape& sh, bool forward, int n,
                                          int64_t max_pair_cells, bool uniform)>;

struct ExchangeSide {
  ExchangeForm form = ExchangeForm::none;
  std::vector<int> group;                  // world ranks of the exchange communicator, in order
  bool on_cp = false;                      // that communicator is the plan's CP group (cp_comm)
  std::vector<CellMove> local, sends, recvs;  // sends by (to, ...), recvs by (from, ...)
  std::vector<int64_t> send_cells, recv_cells;  // per index in `group`
  int64_t block_cells = 0;                 // all_to_all: cells per block, padding included

  int64_t received_cells() const;  // cells that really cross the link to this rank
  int64_t padding_cells() const;   // all_to_all: padding received from peers
  int64_t send_slots() const;      // cells the send buffer holds
  int64_t recv_slots() const;
  // What the rank receives over the link (the table's bytes of the call it makes).
  PhaseBytes bytes(int64_t cell_bytes) const;
};

// This rank's side of `moves` (one direction), in its group of exchange_groups(p) (its CP group
// where the direction runs on the CP communicator). `choice` empty: always send/recv.
ExchangeSide exchange_side(const Plan& p, const BridgeShape& sh, bool forward, const std::vector<CellMove>& moves,
                           int rank, const AllToAllChoice& choice);

// Every grid rank's form and cells over the link in one direction (indexed by rank - offset),
// as exchange_side would give it, from one pass over the moves: what a strategy declares for the
// whole grid, which exchange_side rank by rank would make quadratic in ranks.
struct ExchangeSummary {
  ExchangeForm form = ExchangeForm::none;
  int64_t block_cells = 0;     // all_to_all: cells per block, padding included
  int64_t received_cells = 0;  // cells that really cross the link to this rank
};
std::vector<ExchangeSummary> exchange_summaries(const Plan& p, const BridgeShape& sh, bool forward,
                                                const std::vector<CellMove>& moves, const AllToAllChoice& choice);

// A strategy that runs the cell exchange in both directions (p2p, alltoall):
//  - forward: the LLM's CP shard is written straight from the src tensors: held cells by a local
//    copy, the others through the exchange;
//  - backward: each src rank collects its rows' gradient cells from the CP shards that hold them,
//    so there is no zero-padded gradient and no reduction;
//  - both memory orders: cells are packed into contiguous runs and unpacked by the segment-list
//    copy (one launch each side), so sbh needs no memory-order change either.
struct CellExchangeConfig {
  std::string name, description;
  AllToAllChoice choice;  // empty: grouped send/recv always
  // Changes the move lists (the same way on every rank) before they run: the oracle's teeth.
  std::function<void(const Plan&, std::vector<CellMove>& fwd, std::vector<CellMove>& bwd)> tamper;
};
std::unique_ptr<Strategy> make_cell_exchange_strategy(CellExchangeConfig cfg);

// Runs one direction on this rank: `in` is read (the cells it holds or sends), `out` written.
// `L` is a cell's length along the sequence. The send / recv workspaces are "send" and "recv".
void run_exchange(RankBridge& rb, const ExchangeSide& s, const TensorRef& in, const TensorRef& out,
                  int64_t L, Phase pack, Phase comm, Phase unpack);

}  // namespace bb
