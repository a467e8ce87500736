#pragma once
// The bridge as an exchange of cells, and the per-rank minimum it defines (issue 10; semantics §3-5 for
// the plan semantics it follows). A cell is one global sample's one CP chunk: with dest CP c the
// sequence is cut into 2c chunks (semantics §5); with c = 1 a cell is a sample's whole sequence.
//
// Forward, a rank must hold, as the LLM's CP shard, the cells of the samples the plan delivers to
// it at its two chunks; backward, as the encoder, the gradient cells of its rows at every chunk
// (which sample feeds a row follows the plan's semantics, semantics §4, so non-canonical orders that
// deliver another replica's samples are covered too). What a rank already holds (its own src
// samples at every chunk forward; its own shard's cells backward) it copies locally; the rest it
// must receive. The minimum of a rank is (needed - held) cells x cell bytes.
//
// Pure logic: no tensors, no CUDA. Rows and chunk positions say where a cell sits in a tensor;
// the bridge room turns them into copy segments.
#include <cstdint>
#include <memory>
#include <vector>

#include "plan/plan.hpp"

namespace bb {

// Cells per sample along the sequence: 2c, or 1 (the whole sequence) with c = 1.
int cells_per_sample(const Plan& p);
// Bytes of one cell for sequence s, hidden h, element size es.
int64_t cell_bytes(const Plan& p, int64_t s, int64_t h, int64_t es);

// One cell moved from a rank's input to a rank's output (from == to: a local copy). Positions are
// in cells along the tensor's sequence dim: in a full-sequence tensor the chunk index, in a CP
// shard 0 (chunk r) or 1 (chunk 2c-1-r).
struct CellMove {
  int from = 0, to = 0;  // world ranks
  int64_t from_row = 0;  // batch row in the sender's input
  int from_pos = 0;
  int64_t to_row = 0;  // batch row in the receiver's output
  int to_pos = 0;
};

// Every cell of one direction, ordered by (to, from, to_row, to_pos): the order a sender packs
// what it sends to one peer and the receiver unpacks it. A cell that a rank holds is always
// copied locally; one it lacks comes from one holder, chosen in the receiver's own plan group
// (gather group, then CP group) when one holds it, else the nearest rank.
//   forward:  src tensor [b, s, h] of `from`  ->  CP shard [b', s/c, h] of `to`
//   backward: gradient shard [b', s/c, h] of `from`  ->  src gradient [b, s, h] of `to`
std::vector<CellMove> forward_exchange(const Plan& p, int64_t src_batch);
std::vector<CellMove> backward_exchange(const Plan& p, int64_t src_batch);
// The same lists, read-only and shared: the last few plans' lists are kept, so the ranks of one
// grid (and the model, which asks for many ranks' sides) read them without a copy each.
using SharedMoves = std::shared_ptr<const std::vector<CellMove>>;
SharedMoves forward_moves(const Plan& p, int64_t src_batch);
SharedMoves backward_moves(const Plan& p, int64_t src_batch);

// Cells a rank must receive in each direction (the minimum, counted as sets of cells).
struct MinCells {
  int64_t forward = 0, backward = 0;
};
MinCells min_cells(const Plan& p, int rank, int64_t src_batch);

// The communicators an exchange needs: the smallest groups holding every pair that exchanges
// cells over the link. A direction whose pairs all lie inside the plan's CP groups runs on those
// (the CP communicator every config already has); the other directions' pairs make `groups`,
// their connected components (each sorted; every grid rank in one), the strategy's own
// communicator. The pairs do not depend on the batch size, so the plan's smallest batch stands
// for all.
struct ExchangeGroups {
  std::vector<std::vector<int>> groups;
  bool forward_on_cp = false, backward_on_cp = false;
};
ExchangeGroups exchange_groups(const Plan& p);

}  // namespace bb
