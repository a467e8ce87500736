#include "plan/exchange.hpp"

#include <algorithm>
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
// (where the reference would have fetched it), then the nearest rank, so the pairs stay few.
int choose(const Plan& p, const std::vector<int>& holders, int to) {
  if (std::find(holders.begin(), holders.end(), to) != holders.end()) return to;
  const auto* gg = p.gather_group_of(to);
  const auto* cg = p.cp_group_of(to);
  auto score = [&](int x) { return std::make_tuple(in(gg, x) ? 0 : in(cg, x) ? 1 : 2, std::abs(x - to), x); };
  return *std::min_element(holders.begin(), holders.end(), [&](int a, int b) { return score(a) < score(b); });
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

std::vector<CellMove> forward_exchange(const Plan& p, int64_t b) {
  const int c = p.dest_cp;
  std::vector<CellMove> v;
  for (int to : grid_ranks(p)) {
    const auto routed = routed_samples(p, to, b);
    const int cpr = p.dest_of(to).cp;
    for (size_t j = 0; j < routed.size(); ++j) {
      const int64_t sample = routed[j];
      const int d = int(sample / b);  // the src replica that holds it (semantics §7)
      std::vector<int> holders;
      for (int x : grid_ranks(p))
        if (p.src_of(x).dp == d) holders.push_back(x);
      const int from = choose(p, holders, to);
      for (int pos = 0; pos < shard_cells(p); ++pos)
        v.push_back({from, to, sample - int64_t(d) * b, pos_chunk(pos, cpr, c), int64_t(j), pos});
    }
  }
  sort_moves(v);
  return v;
}

std::vector<CellMove> backward_exchange(const Plan& p, int64_t b) {
  const int c = p.dest_cp, K = cells_per_sample(p);
  const Routing rt(p, b);
  std::vector<CellMove> v;
  for (int to : grid_ranks(p))
    for (int64_t i = 0; i < b; ++i)
      for (int ch = 0; ch < K; ++ch) {
        const int64_t sample = grad_sample(p, rt, to, b, i, ch);
        std::vector<int> holders;
        std::map<int, int64_t> row;
        for (const auto& [x, j] : rt.at.at(sample))
          if (c == 1 || chunk_owner(ch, c) == p.dest_of(x).cp) {
            holders.push_back(x);
            row[x] = j;
          }
        const int from = choose(p, holders, to);
        v.push_back({from, to, row.at(from), shard_pos(ch, c), i, ch});
      }
  sort_moves(v);
  return v;
}

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
int largest_used(const std::vector<std::vector<int>>& groups, const std::vector<CellMove>& moves) {
  int n = 0;
  for (const auto& m : moves)
    if (m.from != m.to)
      for (const auto& g : groups)
        if (std::find(g.begin(), g.end(), m.to) != g.end()) n = std::max(n, int(g.size()));
  return n;
}

}  // namespace

ExchangeGroups exchange_groups(const Plan& p) {
  const int64_t b = unit_src_batch(p);
  const auto fwd = forward_exchange(p, b), bwd = backward_exchange(p, b);
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
      const int cost = largest_used(f_cp ? p.cp_groups : eg.groups, fwd) + largest_used(b_cp ? p.cp_groups : eg.groups, bwd);
      if (best_cost < 0 || cost < best_cost) best = eg, best_cost = cost;
    }
  return best;
}

}  // namespace bb
