#include "bridge/cell_exchange.hpp"

#include <algorithm>

#include "plan/audit.hpp"

namespace bb {

int64_t ExchangeSide::received_cells() const { return int64_t(recvs.size()); }

int64_t ExchangeSide::padding_cells() const {
  if (form != ExchangeForm::all_to_all) return 0;
  return int64_t(group.size() - 1) * block_cells - received_cells();
}

int64_t ExchangeSide::send_slots() const {
  return form == ExchangeForm::all_to_all ? int64_t(group.size()) * block_cells : int64_t(sends.size());
}

int64_t ExchangeSide::recv_slots() const {
  return form == ExchangeForm::all_to_all ? int64_t(group.size()) * block_cells : int64_t(recvs.size());
}

PhaseBytes ExchangeSide::bytes(int64_t cell_bytes) const {
  PhaseBytes b;
  if (form == ExchangeForm::none) return b;
  const int n = int(group.size());
  if (form == ExchangeForm::all_to_all) {
    b.op = collective(CollOp::all_to_all).name;
    b.bytes = collective_bytes(CollOp::all_to_all, n, block_cells * cell_bytes).bytes_per_rank;
    b.padding = padding_cells() * cell_bytes;
  } else {
    b.op = collective(CollOp::send_recv).name;
    b.bytes = collective_bytes(CollOp::send_recv, n, received_cells() * cell_bytes).bytes_per_rank;
  }
  return b;
}

ExchangeSide exchange_side(const Plan& p, const BridgeShape& sh, bool forward, const std::vector<CellMove>& moves,
                           int rank, const AllToAllChoice& choice) {
  ExchangeSide s;
  const ExchangeGroups eg = exchange_groups(p);
  s.on_cp = forward ? eg.forward_on_cp : eg.backward_on_cp;
  if (s.on_cp) s.group = *p.cp_group_of(rank);
  for (const auto& g : eg.groups)
    if (!s.on_cp && std::find(g.begin(), g.end(), rank) != g.end()) s.group = g;
  const int n = int(s.group.size());
  auto index = [&](int world_rank) {
    auto it = std::find(s.group.begin(), s.group.end(), world_rank);
    if (it == s.group.end())
      throw Error("exchange_outside_group", "a cell moves between world ranks outside one exchange group (rank " +
                                                std::to_string(world_rank) + ")");
    return int(it - s.group.begin());
  };
  s.send_cells.assign(size_t(n), 0);
  s.recv_cells.assign(size_t(n), 0);
  // Cells per ordered pair of this group: every member sees the same, so all decide alike.
  std::vector<int64_t> pair(size_t(n) * size_t(n), 0);
  for (const auto& m : moves) {
    const bool mine_from = m.from == rank, mine_to = m.to == rank;
    if (m.from == m.to) {
      if (mine_to) s.local.push_back(m);
      continue;
    }
    const bool here = std::find(s.group.begin(), s.group.end(), m.to) != s.group.end();
    if (!here && !mine_from) continue;  // another group's cell
    const int f = index(m.from), t = index(m.to);
    ++pair[size_t(f) * size_t(n) + size_t(t)];
    if (mine_from) {
      s.sends.push_back(m);
      ++s.send_cells[size_t(t)];
    }
    if (mine_to) {
      s.recvs.push_back(m);
      ++s.recv_cells[size_t(f)];
    }
  }
  std::stable_sort(s.recvs.begin(), s.recvs.end(), [](const CellMove& a, const CellMove& b) { return a.from < b.from; });
  int64_t max_pair = 0;
  bool uniform = true;
  for (int f = 0; f < n; ++f)
    for (int t = 0; t < n; ++t)
      if (f != t) max_pair = std::max(max_pair, pair[size_t(f) * size_t(n) + size_t(t)]);
  for (int f = 0; f < n; ++f)
    for (int t = 0; t < n; ++t)
      if (f != t && pair[size_t(f) * size_t(n) + size_t(t)] != max_pair) uniform = false;
  if (max_pair == 0) return s;  // form none
  s.form = choice && choice(p, sh, forward, n, max_pair, uniform) ? ExchangeForm::all_to_all : ExchangeForm::send_recv;
  if (s.form == ExchangeForm::all_to_all) s.block_cells = max_pair;
  return s;
}

namespace {

// Appends a copy, merged into the previous one when both are single contiguous runs that continue
// each other (consecutive cells of bsh tensors), so contiguous data is one segment.
void append_merged(std::vector<CopySegment>& v, const std::vector<CopySegment>& add) {
  for (const auto& a : add) {
    if (!v.empty()) {
      CopySegment& b = v.back();
      if (a.rows == 1 && b.rows == 1 && a.src && b.src && static_cast<char*>(b.dst) + b.row_bytes == a.dst &&
          static_cast<const char*>(b.src) + b.row_bytes == a.src) {
        b.row_bytes += a.row_bytes;
        continue;
      }
    }
    v.push_back(a);
  }
}

void copy_cell(std::vector<CopySegment>& v, const TensorRef& dst, int64_t drow, int64_t dt, const TensorRef& src,
               int64_t srow, int64_t st, int64_t L) {
  std::vector<CopySegment> one;
  append_box(one, dst, drow, dt, &src, srow, st, 1, L);
  append_merged(v, one);
}

// Slot of each send / recv cell in its buffer: peers' sections in group order for send/recv
// (one contiguous message per peer), fixed blocks per peer for an all-to-all.
std::vector<int64_t> slots(const ExchangeSide& s, const std::vector<CellMove>& cells, bool sending) {
  const int n = int(s.group.size());
  std::vector<int64_t> base(size_t(n), 0);
  const auto& per = sending ? s.send_cells : s.recv_cells;
  for (int k = 1; k < n; ++k)
    base[size_t(k)] = s.form == ExchangeForm::all_to_all ? k * s.block_cells : base[size_t(k - 1)] + per[size_t(k - 1)];
  std::vector<int64_t> out;
  std::vector<int64_t> used(size_t(n), 0);
  for (const auto& m : cells) {
    const int peer = int(std::find(s.group.begin(), s.group.end(), sending ? m.to : m.from) - s.group.begin());
    out.push_back(base[size_t(peer)] + used[size_t(peer)]++);
  }
  return out;
}

}  // namespace

namespace {

// Where one peer's cells sit in a tensor when they form a single contiguous run there (every
// cell of a bsh tensor is contiguous, and consecutive cells often continue each other): then
// they are sent from, or received into, the tensor itself and need no packing. nullptr if not.
char* run_in(const TensorRef& t, const std::vector<CellMove>& cells, int peer, bool sending, int64_t L) {
  if (t.mem != MemOrder::bsh && t.b != 1) return nullptr;
  const int64_t cb = L * t.row_bytes();
  char* start = nullptr;
  int64_t k = 0;
  for (const auto& m : cells) {
    if ((sending ? m.to : m.from) != peer) continue;
    char* at = sending ? t.at(m.from_row, m.from_pos * L) : t.at(m.to_row, m.to_pos * L);
    if (!start) start = at;
    if (at != start + k++ * cb) return nullptr;
  }
  return start;
}

}  // namespace

namespace {

size_t peer_index(const ExchangeSide& s, int world_rank) {
  return size_t(std::find(s.group.begin(), s.group.end(), world_rank) - s.group.begin());
}

// Send/recv only: per peer (group index), the tensor run its cells form, sent from or received
// into directly, skipping the staging buffer; nullptr where the cells must be staged.
struct DirectRuns {
  std::vector<char*> send, recv;
};

DirectRuns direct_runs(const ExchangeSide& s, const TensorRef& in, const TensorRef& out, int64_t L) {
  const size_t n = s.group.size();
  DirectRuns d{std::vector<char*>(n, nullptr), std::vector<char*>(n, nullptr)};
  if (s.form != ExchangeForm::send_recv) return d;
  for (size_t k = 0; k < n; ++k) {
    if (s.send_cells[k]) d.send[k] = run_in(in, s.sends, s.group[k], true, L);
    if (s.recv_cells[k]) d.recv[k] = run_in(out, s.recvs, s.group[k], false, L);
  }
  return d;
}

// Step 1's copies: the cells this rank holds straight to the output, the staged ones it sends
// into their send slots.
std::vector<CopySegment> pack_segments(const ExchangeSide& s, const TensorRef& in, const TensorRef& out,
                                       const TensorRef& sendbuf, const DirectRuns& direct, int64_t L) {
  std::vector<CopySegment> segs;
  for (const auto& m : s.local) copy_cell(segs, out, m.to_row, m.to_pos * L, in, m.from_row, m.from_pos * L, L);
  const auto send_at = slots(s, s.sends, true);
  for (size_t i = 0; i < s.sends.size(); ++i)
    if (!direct.send[peer_index(s, s.sends[i].to)])
      copy_cell(segs, sendbuf, send_at[i], 0, in, s.sends[i].from_row, s.sends[i].from_pos * L, L);
  return segs;
}

// Step 3's copies: each staged received cell from its recv slot to its place in the output.
std::vector<CopySegment> unpack_segments(const ExchangeSide& s, const TensorRef& out, const TensorRef& recvbuf,
                                         const DirectRuns& direct, int64_t L) {
  std::vector<CopySegment> segs;
  const auto recv_at = slots(s, s.recvs, false);
  for (size_t i = 0; i < s.recvs.size(); ++i)
    if (!direct.recv[peer_index(s, s.recvs[i].from)])
      copy_cell(segs, out, s.recvs[i].to_row, s.recvs[i].to_pos * L, recvbuf, recv_at[i], 0, L);
  return segs;
}

// One copy launch in `phase`; none (and no phase entered) when there is nothing to copy.
void launch_copies(RankBridge& rb, Phase phase, const std::vector<CopySegment>& segs) {
  if (segs.empty()) return;
  rb.enter(phase);
  rb.local(segs);
}

// Send/recv: one message per peer and direction, from the tensor run or the next section of the
// staging buffer (peers' sections in group order, as slots() lays them out).
std::vector<P2POp> p2p_ops(const ExchangeSide& s, const TensorRef& sendbuf, const TensorRef& recvbuf,
                           const DirectRuns& direct, int64_t cb) {
  std::vector<P2POp> ops;
  char* sp = static_cast<char*>(sendbuf.ptr);
  char* rp = static_cast<char*>(recvbuf.ptr);
  for (size_t k = 0; k < s.group.size(); ++k) {
    if (const int64_t m = s.send_cells[k]) {
      ops.push_back({P2POp::send, int(k), direct.send[k] ? direct.send[k] : sp, size_t(m * cb)});
      sp += m * cb;
    }
    if (const int64_t m = s.recv_cells[k]) {
      ops.push_back({P2POp::recv, int(k), direct.recv[k] ? direct.recv[k] : rp, size_t(m * cb)});
      rp += m * cb;
    }
  }
  return ops;
}

// Step 2: one collective call for the whole direction, on the communicator of the exchange
// group (refused if it is not that group: cells would go to the wrong ranks).
void exchange_cells(RankBridge& rb, const ExchangeSide& s, const TensorRef& sendbuf, const TensorRef& recvbuf,
                    const DirectRuns& direct, int64_t cb, Phase comm) {
  Comm& c = *(s.on_cp ? rb.cp_comm() : rb.gather_comm());
  if (c.world_ranks() != s.group)
    throw Error("exchange_group_mismatch", "the exchange communicator is not the exchange group of world rank " +
                                               std::to_string(rb.rank()));
  rb.enter(comm);
  if (s.form == ExchangeForm::all_to_all)
    rb.all_to_all(c, sendbuf.ptr, recvbuf.ptr, size_t(s.block_cells * cb));
  else
    rb.send_recv(c, p2p_ops(s, sendbuf, recvbuf, direct, cb));
}

}  // namespace

void run_exchange(RankBridge& rb, const ExchangeSide& s, const TensorRef& in, const TensorRef& out, int64_t L,
                  Phase pack, Phase comm, Phase unpack) {
  auto& B = rb.buf();
  // Packed cells are [slots, L, h] in bsh: each cell one contiguous run.
  TensorRef sendbuf = rb.tensor(s.send_slots() ? B.ws.at("send") : nullptr, s.send_slots(), L, MemOrder::bsh);
  TensorRef recvbuf = rb.tensor(s.recv_slots() ? B.ws.at("recv") : nullptr, s.recv_slots(), L, MemOrder::bsh);
  const DirectRuns direct = direct_runs(s, in, out, L);
  // 1. One launch: the cells this rank holds go straight to the output, the ones it sends are packed.
  launch_copies(rb, pack, pack_segments(s, in, out, sendbuf, direct, L));
  // 2. One collective call for the whole direction.
  if (s.form != ExchangeForm::none) exchange_cells(rb, s, sendbuf, recvbuf, direct, in.row_bytes() * L, comm);
  // 3. One launch: the received cells into their places in the output.
  launch_copies(rb, unpack, unpack_segments(s, out, recvbuf, direct, L));
}

}  // namespace bb
