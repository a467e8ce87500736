#include "plan/exchange.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "plan/audit.hpp"

namespace bb {
namespace {

// Position of a chunk inside the owner's shard (0: chunk r, 1: chunk 2c-1-r); 0 with c = 1.
int shard_pos(int chunk, int c) { return c == 1 ? 0 : (chunk < c ? 0 : 1); }
int pos_chunk(int pos, int cp_rank, int c) { return c == 1 ? 0 : (pos == 0 ? cp_rank : 2 * c - 1 - cp_rank); }
int shard_cells(const Plan& p) { return p.dest_cp == 1 ? 1 : 2; }

std::vector<int> grid_ranks(const Plan& p) {
  std::vector<int> v(size_t(p.size()));
  std::iota(v.begin(), v.end(), p.offset());
  return v;
}

bool in(const std::vector<int>* g, int r) { return g && std::find(g->begin(), g->end(), r) != g->end(); }

// The holder a receiver takes a cell from: itself if it holds it; else one in its own plan group
// (where the reference would have fetched it), then the nearest rank, so the pairs stay few; ties
// go to the lower rank. `holders` is sorted: membership is a binary search and the nearest holder
// two, so a choice costs the receiver's groups, not the world.
int choose(const Plan& p, const std::vector<int>& holders, int to) {
  auto holds = [&](int x) { return std::binary_search(holders.begin(), holders.end(), x); };
  if (holds(to)) return to;
  auto closer = [&](int a, int b) { return std::make_pair(std::abs(a - to), a) < std::make_pair(std::abs(b - to), b); };
  for (const auto* g : {p.gather_group_of(to), p.cp_group_of(to)}) {
    int best = -1;
    if (g)
      for (int x : *g)
        if (holds(x) && (best < 0 || closer(x, best))) best = x;
    if (best >= 0) return best;
  }
  const auto hi = std::lower_bound(holders.begin(), holders.end(), to);  // first holder above `to`
  if (hi == holders.begin()) return *hi;
  if (hi == holders.end()) return *std::prev(hi);
  return closer(*std::prev(hi), *hi) ? *std::prev(hi) : *hi;
}

void sort_moves(std::vector<CellMove>& v) {
  std::sort(v.begin(), v.end(), [](const CellMove& a, const CellMove& b) {
    return std::tie(a.to, a.from, a.to_row, a.to_pos) < std::tie(b.to, b.from, b.to_row, b.to_pos);
  });
}

// Samples the plan delivers to each dest rank, and where each sample sits on which rank.
struct Routing {
  std::map<int, std::vector<int64_t>> routed;                  // rank -> samples by row
  std::map<int64_t, std::vector<std::pair<int, int64_t>>> at;  // sample -> (rank, row)
  Routing(const Plan& p, int64_t b) {
    for (int r : grid_ranks(p)) {
      routed[r] = routed_samples(p, r, b);
      for (size_t j = 0; j < routed[r].size(); ++j) at[routed[r][j]].push_back({r, int64_t(j)});
    }
  }
};

// Backward: the sample whose gradient row `i`, chunk `ch` of src rank `r` carries, following the
// plan's semantics (semantics §4: CP sum, then narrow / all-gather / identity).
int64_t grad_sample(const Plan& p, const Routing& rt, int r, int64_t b, int64_t i, int ch) {
  const GradRow from = grad_row_source(p, r, b, i);
  return rt.routed.at(chunk_source(p, from.dest_rank, ch))[size_t(from.row)];
}

}  // namespace

int cells_per_sample(const Plan& p) { return p.dest_cp == 1 ? 1 : 2 * p.dest_cp; }

int64_t cell_bytes(const Plan& p, int64_t s, int64_t h, int64_t es) { return s / cells_per_sample(p) * h * es; }

namespace {

// Forward, the holders of a sample are its src replica's ranks. The choice of `choose` for every
// replica a receiver needs, from one pass over its two plan groups (nearest member of each
// replica in each) rather than one per replica: fan-ins gather from many replicas.
std::map<int, int> choose_replicas(const Plan& p, const std::map<int, std::vector<int>>& replica, int to,
                                   const std::vector<int64_t>& routed, int64_t b) {
  auto closer = [&](int a, int c) { return std::make_pair(std::abs(a - to), a) < std::make_pair(std::abs(c - to), c); };
  std::array<std::map<int, int>, 2> best;  // gather group, CP group: replica -> nearest member
  const std::array<const std::vector<int>*, 2> groups{p.gather_group_of(to), p.cp_group_of(to)};
  for (size_t k = 0; k < 2; ++k)
    if (groups[k])
      for (int x : *groups[k]) {
        auto [it, fresh] = best[k].emplace(p.src_of(x).dp, x);
        if (!fresh && closer(x, it->second)) it->second = x;
      }
  std::map<int, int> from;
  for (int64_t sample : routed) {
    const int d = int(sample / b);  // the src replica that holds it (semantics §7)
    if (from.count(d)) continue;
    if (p.src_of(to).dp == d) from[d] = to;
    else if (best[0].count(d)) from[d] = best[0][d];
    else if (best[1].count(d)) from[d] = best[1][d];
    else from[d] = choose(p, replica.at(d), to);
  }
  return from;
}

std::vector<CellMove> compute_forward(const Plan& p, int64_t b) {
  const int c = p.dest_cp;
  std::map<int, std::vector<int>> replica;  // src replica -> its ranks, ascending: its samples' holders
  for (int x : grid_ranks(p)) replica[p.src_of(x).dp].push_back(x);
  std::vector<CellMove> v;
  for (int to : grid_ranks(p)) {
    const auto routed = routed_samples(p, to, b);
    const int cpr = p.dest_of(to).cp;
    const auto from = choose_replicas(p, replica, to, routed, b);
    for (size_t j = 0; j < routed.size(); ++j) {
      const int64_t sample = routed[j];
      const int d = int(sample / b);
      for (int pos = 0; pos < shard_cells(p); ++pos)
        v.push_back({from.at(d), to, sample - int64_t(d) * b, pos_chunk(pos, cpr, c), int64_t(j), pos});
    }
  }
  sort_moves(v);
  return v;
}

std::vector<CellMove> compute_backward(const Plan& p, int64_t b) {
  const int c = p.dest_cp, K = cells_per_sample(p);
  const Routing rt(p, b);
  std::vector<CellMove> v;
  std::vector<int> holders;
  std::map<int, int64_t> row;
  for (int to : grid_ranks(p))
    for (int64_t i = 0; i < b; ++i)
      for (int ch = 0; ch < K; ++ch) {
        const int64_t sample = grad_sample(p, rt, to, b, i, ch);
        holders.clear();
        row.clear();
        for (const auto& [x, j] : rt.at.at(sample))
          if (c == 1 || chunk_owner(ch, c) == p.dest_of(x).cp) {
            holders.push_back(x);
            row[x] = j;
          }
        std::sort(holders.begin(), holders.end());
        const int from = choose(p, holders, to);
        v.push_back({from, to, row.at(from), shard_pos(ch, c), i, ch});
      }
  sort_moves(v);
  return v;
}

// The exchange is a pure function of the plan (and batch), and one prediction or one run asks
// for it many times (each rank's side, both directions, the groups). The last few answers are
// kept, keyed by the grids the plan was made from (make_plan is deterministic) plus a digest of
// everything derived that the exchange reads, so a plan edited by hand is not mistaken for another;
// a 16,384-rank grid is worked out once, not once per rank.
std::vector<int64_t> plan_key(const Plan& p, int64_t b) {
  std::vector<int64_t> k{p.world, p.offset(), int64_t(p.direction), p.scale, p.dest_cp, b};
  for (const Grid* g : {&p.src, &p.dest}) {
    k.push_back(-1);
    for (const auto& n : g->dim_names) k.insert(k.end(), n.begin(), n.end());
    k.insert(k.end(), g->shape.begin(), g->shape.end());
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto add = [&](int64_t v) { h = (h ^ uint64_t(v)) * 1099511628211ull; };
  for (const auto& s : p.src_pos) add(s.dp), add(s.tp);
  for (const auto& d : p.dest_coords) add(d.dp), add(d.tp), add(d.cp);
  for (const auto* gs : {&p.gather_groups, &p.cp_groups})
    for (const auto& g : *gs) {
      add(-2);
      for (int r : g) add(r);
    }
  k.push_back(int64_t(h));
  return k;
}

template <class T>
class Memo {
 public:
  template <class F>
  std::shared_ptr<const T> get(std::vector<int64_t> key, F make) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [k, v] : kept_)
        if (k == key) return v;
    }
    auto v = std::make_shared<const T>(make());
    std::lock_guard<std::mutex> lock(mu_);
    kept_.push_front({std::move(key), v});
    if (kept_.size() > kKept) kept_.pop_back();
    return v;
  }

 private:
  static constexpr size_t kKept = 4;
  std::mutex mu_;
  std::deque<std::pair<std::vector<int64_t>, std::shared_ptr<const T>>> kept_;
};

}  // namespace

SharedMoves forward_moves(const Plan& p, int64_t b) {
  static Memo<std::vector<CellMove>> memo;
  return memo.get(plan_key(p, b), [&] { return compute_forward(p, b); });
}

SharedMoves backward_moves(const Plan& p, int64_t b) {
  static Memo<std::vector<CellMove>> memo;
  return memo.get(plan_key(p, b), [&] { return compute_backward(p, b); });
}

std::vector<CellMove> forward_exchange(const Plan& p, int64_t b) { return *forward_moves(p, b); }
std::vector<CellMove> backward_exchange(const Plan& p, int64_t b) { return *backward_moves(p, b); }

MinCells min_cells(const Plan& p, int r, int64_t b) {
  const int c = p.dest_cp, K = cells_per_sample(p);
  const Routing rt(p, b);
  MinCells m;
  using Cell = std::pair<int64_t, int>;  // (global sample, chunk)
  // Forward: needed = delivered samples at this rank's chunks; held = its src samples, any chunk.
  std::set<Cell> need;
  const auto own = src_samples(p, r, b);
  const std::set<int64_t> held_samples(own.begin(), own.end());
  for (int64_t s : rt.routed.at(r))
    for (int pos = 0; pos < shard_cells(p); ++pos)
      if (!held_samples.count(s)) need.insert({s, pos_chunk(pos, p.dest_of(r).cp, c)});
  m.forward = int64_t(need.size());
  // Backward: needed = its rows' gradient cells at every chunk; held = its own shard's cells.
  std::set<Cell> held;
  for (int64_t s : rt.routed.at(r))
    for (int pos = 0; pos < shard_cells(p); ++pos) held.insert({s, pos_chunk(pos, p.dest_of(r).cp, c)});
  need.clear();
  for (int64_t i = 0; i < b; ++i)
    for (int ch = 0; ch < K; ++ch) {
      const Cell cell{grad_sample(p, rt, r, b, i, ch), ch};
      if (!held.count(cell)) need.insert(cell);
    }
  m.backward = int64_t(need.size());
  return m;
}

namespace {

// Connected components (each sorted, every grid rank in one) of the pairs of the given moves.
std::vector<std::vector<int>> components(const Plan& p, const std::vector<const std::vector<CellMove>*>& dirs) {
  std::vector<int> parent(size_t(p.size()));
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int x) {
    while (parent[size_t(x)] != x) x = parent[size_t(x)] = parent[size_t(parent[size_t(x)])];
    return x;
  };
  for (const auto* moves : dirs)
    for (const auto& m : *moves) {
      const int a = find(m.from - p.offset()), z = find(m.to - p.offset());
      if (a != z) parent[size_t(std::max(a, z))] = std::min(a, z);
    }
  std::map<int, std::vector<int>> comps;
  for (int x = 0; x < p.size(); ++x) comps[find(x)].push_back(x + p.offset());
  std::vector<std::vector<int>> out;
  for (auto& [root, g] : comps) out.push_back(g);
  return out;
}

// The largest group, among `groups`, that a direction's link pairs use (0: none cross the link).
int largest_used(const Plan& p, const std::vector<std::vector<int>>& groups, const std::vector<CellMove>& moves) {
  std::vector<int> size_at(size_t(p.size()), 0);  // the largest group holding each grid rank
  for (const auto& g : groups)
    for (int r : g)
      if (p.in_grid(r)) size_at[size_t(r - p.offset())] = std::max(size_at[size_t(r - p.offset())], int(g.size()));
  int n = 0;
  for (const auto& m : moves)
    if (m.from != m.to && p.in_grid(m.to)) n = std::max(n, size_at[size_t(m.to - p.offset())]);
  return n;
}

ExchangeGroups compute_groups(const Plan& p) {
  const int64_t b = unit_src_batch(p);
  const SharedMoves fwd_moves = forward_moves(p, b), bwd_moves = backward_moves(p, b);
  const auto &fwd = *fwd_moves, &bwd = *bwd_moves;
  // May a direction run on the CP communicator (every pair inside one CP group)?
  auto fits_cp = [&](const std::vector<CellMove>& moves) {
    if (p.dest_cp == 1) return false;
    for (const auto& m : moves)
      if (m.from != m.to && !in(p.cp_group_of(m.to), m.from)) return false;
    return true;
  };
  // Of the allowed assignments, the one whose directions run on the smallest groups (summed);
  // the strategy communicator holds the pairs of the directions not on CP.
  ExchangeGroups best;
  int best_cost = -1;
  for (bool f_cp : {false, true})
    for (bool b_cp : {false, true}) {
      if ((f_cp && !fits_cp(fwd)) || (b_cp && !fits_cp(bwd))) continue;
      std::vector<const std::vector<CellMove>*> own;
      if (!f_cp) own.push_back(&fwd);
      if (!b_cp) own.push_back(&bwd);
      ExchangeGroups eg{components(p, own), f_cp, b_cp};
      const int cost = largest_used(p, f_cp ? p.cp_groups : eg.groups, fwd) +
                       largest_used(p, b_cp ? p.cp_groups : eg.groups, bwd);
      if (best_cost < 0 || cost < best_cost) best = eg, best_cost = cost;
    }
  return best;
}

}  // namespace

ExchangeGroups exchange_groups(const Plan& p) {
  static Memo<ExchangeGroups> memo;
  return *memo.get(plan_key(p, 0), [&] { return compute_groups(p); });
}

}  // namespace bb
