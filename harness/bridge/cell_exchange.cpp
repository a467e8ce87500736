#include "bridge/cell_exchange.hpp"

#include <algorithm>
#include <map>
#include <tuple>

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

namespace {

// The communicators one direction runs on: the CP groups, or the strategy's exchange groups.
const std::vector<std::vector<int>>& direction_groups(const Plan& p, const ExchangeGroups& eg, bool forward) {
  return (forward ? eg.forward_on_cp : eg.backward_on_cp) ? p.cp_groups : eg.groups;
}

// Where each grid rank sits among `groups`: (group, index in it), or (-1, -1).
std::vector<std::pair<int, int>> group_index(const Plan& p, const std::vector<std::vector<int>>& groups) {
  std::vector<std::pair<int, int>> at(size_t(p.size()), {-1, -1});
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t i = 0; i < groups[g].size(); ++i)
      if (p.in_grid(groups[g][i])) at[size_t(groups[g][i] - p.offset())] = {int(g), int(i)};
  return at;
}

[[noreturn]] void outside_group(int world_rank) {
  throw Error("exchange_outside_group", "a cell moves between world ranks outside one exchange group (rank " +
                                            std::to_string(world_rank) + ")");
}

// The largest cell count of any ordered pair of a group of n, and whether every pair (f != t)
// moves exactly that many, from the pairs' keys f * n + t (one key per cell). Every member sees
// the same, so all decide the form alike. Sparse: a group of thousands has few pairs that move.
struct PairCells {
  int64_t max_pair = 0;
  bool uniform = true;
};
PairCells pair_cells(std::vector<int64_t>& keys, int n) {
  std::sort(keys.begin(), keys.end());
  PairCells pc;
  int64_t distinct = 0;
  std::vector<int64_t> counts;
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    counts.push_back(int64_t(j - i));
    pc.max_pair = std::max(pc.max_pair, int64_t(j - i));
    ++distinct;
    i = j;
  }
  pc.uniform = distinct == int64_t(n) * (n - 1);
  for (int64_t c : counts) pc.uniform = pc.uniform && c == pc.max_pair;
  return pc;
}

ExchangeForm form_of(const Plan& p, const BridgeShape& sh, bool forward, int n, const PairCells& pc,
                     const AllToAllChoice& choice) {
  if (pc.max_pair == 0) return ExchangeForm::none;
  return choice && choice(p, sh, forward, n, pc.max_pair, pc.uniform) ? ExchangeForm::all_to_all : ExchangeForm::send_recv;
}

}  // namespace

ExchangeSide exchange_side(const Plan& p, const BridgeShape& sh, bool forward, const std::vector<CellMove>& moves,
                           int rank, const AllToAllChoice& choice) {
  ExchangeSide s;
  const ExchangeGroups eg = exchange_groups(p);
  s.on_cp = forward ? eg.forward_on_cp : eg.backward_on_cp;
  if (s.on_cp) s.group = *p.cp_group_of(rank);
  for (const auto& g : eg.groups)
    if (!s.on_cp && std::find(g.begin(), g.end(), rank) != g.end()) s.group = g;
  const int n = int(s.group.size());
  const int lo = p.offset(), size = p.size();
  std::vector<int> at(size_t(size), -1);  // grid rank -> index in this rank's group
  for (int i = 0; i < n; ++i)
    if (s.group[size_t(i)] >= lo && s.group[size_t(i)] < lo + size) at[size_t(s.group[size_t(i)] - lo)] = i;
  auto index_of = [&](int world_rank) { return world_rank >= lo && world_rank < lo + size ? at[size_t(world_rank - lo)] : -1; };
  auto index = [&](int world_rank) {
    const int i = index_of(world_rank);
    if (i < 0) outside_group(world_rank);
    return i;
  };
  s.send_cells.assign(size_t(n), 0);
  s.recv_cells.assign(size_t(n), 0);
  std::vector<int64_t> keys;  // one per cell between two members of this group
  for (const auto& m : moves) {
    const bool mine_from = m.from == rank, mine_to = m.to == rank;
    if (m.from == m.to) {
      if (mine_to) s.local.push_back(m);
      continue;
    }
    const bool here = index_of(m.to) >= 0;
    if (!here && !mine_from) continue;  // another group's cell
    const int f = index(m.from), t = index(m.to);
    keys.push_back(int64_t(f) * n + t);
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
  const PairCells pc = pair_cells(keys, n);
  s.form = form_of(p, sh, forward, n, pc, choice);
  if (s.form == ExchangeForm::all_to_all) s.block_cells = pc.max_pair;
  return s;
}

std::vector<ExchangeSummary> exchange_summaries(const Plan& p, const BridgeShape& sh, bool forward,
                                                const std::vector<CellMove>& moves, const AllToAllChoice& choice) {
  const ExchangeGroups eg = exchange_groups(p);
  const auto& groups = direction_groups(p, eg, forward);
  const auto at = group_index(p, groups);
  auto where = [&](int r) { return p.in_grid(r) ? at[size_t(r - p.offset())] : std::make_pair(-1, -1); };
  std::vector<std::vector<int64_t>> keys(groups.size());
  std::vector<ExchangeSummary> out(size_t(p.size()));
  for (const auto& m : moves) {
    if (m.from == m.to) continue;
    const auto [gf, f] = where(m.from);
    const auto [gt, t] = where(m.to);
    if (gt < 0 || gf != gt) outside_group(gt < 0 ? m.to : m.from);
    keys[size_t(gt)].push_back(int64_t(f) * int64_t(groups[size_t(gt)].size()) + t);
    ++out[size_t(m.to - p.offset())].received_cells;
  }
  // The form depends on the group only through (n, largest pair, uniform): decided once per kind.
  std::map<std::tuple<int, int64_t, bool>, ExchangeForm> decided;
  for (size_t g = 0; g < groups.size(); ++g) {
    const int n = int(groups[g].size());
    const PairCells pc = pair_cells(keys[g], n);
    auto it = decided.find({n, pc.max_pair, pc.uniform});
    if (it == decided.end()) it = decided.emplace(std::make_tuple(n, pc.max_pair, pc.uniform), form_of(p, sh, forward, n, pc, choice)).first;
    const ExchangeForm form = it->second;
    for (int r : groups[g])
      if (p.in_grid(r)) {
        out[size_t(r - p.offset())].form = form;
        out[size_t(r - p.offset())].block_cells = form == ExchangeForm::all_to_all ? pc.max_pair : 0;
      }
  }
  return out;
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
