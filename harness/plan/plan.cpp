#include "plan/plan.hpp"

#include <map>

#include "core/checked.hpp"
#include "core/error.hpp"

namespace bb {

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::fan_in: return "fan_in";
    case Direction::fan_out: return "fan_out";
    case Direction::equal: return "equal";
  }
  return "?";
}

static std::string grid_str(const Grid& g) {
  std::string s;
  for (size_t i = 0; i < g.dim_names.size(); ++i)
    s += (i ? "," : "") + g.dim_names[i] + "=" + std::to_string(g.shape[i]);
  return "[" + s + "]";
}

static void validate(int world, const Grid& src, const Grid& dest) {
  for (const auto* g : {&src, &dest}) {
    const char* which = g == &src ? "src" : "dest";
    if (g->offset + g->size() > world)
      throw Error("grid_exceeds_world", std::string(which) + " grid " + grid_str(*g) + " at offset " +
                                            std::to_string(g->offset) + " spans ranks up to " +
                                            std::to_string(g->offset + g->size() - 1) +
                                            " but the world has " + std::to_string(world));
  }
  for (const auto* g : {&src, &dest}) {
    const char* which = g == &src ? "src" : "dest";
    for (const char* d : {"tp", "dp"})
      if (!g->has(d))
        throw Error("missing_dim", std::string(which) + " grid " + grid_str(*g) + " has no '" + d + "' dim");
  }
  if (src.size() != dest.size())
    throw Error("size_mismatch", "src spans " + std::to_string(src.size()) + " ranks, dest " +
                                     std::to_string(dest.size()));
  if (src.offset != dest.offset)
    throw Error("offset_mismatch", "src offset " + std::to_string(src.offset) + " != dest offset " +
                                       std::to_string(dest.offset));
  for (const auto* g : {&src, &dest})
    if (g->dim_size("pp") > 1)
      throw Error("pp_not_one", std::string(g == &src ? "src" : "dest") + " has pp=" +
                                    std::to_string(g->dim_size("pp")) + "; the bridge needs pp=1");
  if (src.dim_size("cp") > 1)
    throw Error("src_cp_not_one", "src (encoder) has cp=" + std::to_string(src.dim_size("cp")) +
                                      "; the encoder must have cp=1");
  if (dest.has("cp") && dest.dim_index("cp") > dest.dim_index("dp"))
    throw Error("cp_after_dp", "dest order " + grid_str(dest) + " puts cp after dp");
  int a = src.dim_size("dp"), b = dest.dim_size("dp");
  if (a % b != 0 && b % a != 0)
    throw Error("dp_not_divisible", "src dp=" + std::to_string(a) + " and dest dp=" +
                                        std::to_string(b) + ": neither divides the other");
}

using SrcRanks = std::map<std::pair<int, int>, int>;    // (dp, tp) -> rank
using DestRanks = std::map<std::array<int, 3>, int>;   // (dp, tp, cp) -> rank

// The dims' sizes, and which way the batch moves: fan-in when the src has more DP replicas than
// the dest (the dest gathers `scale` of them), fan-out when it has fewer, else equal.
static void size_plan(Plan& p) {
  p.src_tp = p.src.dim_size("tp");
  p.src_dp = p.src.dim_size("dp");
  p.dest_tp = p.dest.dim_size("tp");
  p.dest_cp = p.dest.dim_size("cp");
  p.dest_dp = p.dest.dim_size("dp");
  if (p.src_dp > p.dest_dp) {
    p.direction = Direction::fan_in;
    p.scale = p.src_dp / p.dest_dp;
  } else if (p.dest_dp > p.src_dp) {
    p.direction = Direction::fan_out;
    p.scale = p.dest_dp / p.src_dp;
  }
}

// Each src rank's (dp, tp): the grid's TP groups, in DP order.
static SrcRanks place_src(Plan& p) {
  SrcRanks by_src;
  p.src_pos.resize(size_t(p.size()));
  const auto src_groups = p.src.rank_enum({"tp"});
  for (size_t g = 0; g < src_groups.size(); ++g)
    for (size_t i = 0; i < src_groups[g].size(); ++i) {
      const int r = src_groups[g][i];
      p.src_pos[size_t(r - p.offset())] = {int(g), int(i)};
      by_src[{int(g), int(i)}] = r;
    }
  return by_src;
}

// Each dest rank's (dp, tp, cp): the TP groups, CP fastest, so the DP index moves on after the
// last CP rank of a replica.
static DestRanks place_dest(Plan& p) {
  DestRanks by_dest;
  p.dest_coords.resize(size_t(p.size()));
  int dp_idx = 0;
  for (const auto& grp : p.dest.rank_enum({"tp"})) {
    const int cp_idx = p.dest.coord(grp[0], "cp");
    for (size_t i = 0; i < grp.size(); ++i) {
      p.dest_coords[size_t(grp[i] - p.offset())] = {dp_idx, int(i), cp_idx};
      by_dest[{dp_idx, int(i), cp_idx}] = grp[i];
    }
    if (cp_idx == p.dest_cp - 1) ++dp_idx;
  }
  return by_dest;
}

// The gather groups, in concatenation order: fan-in, the `scale` src replicas one dest replica
// gathers, per TP rank; fan-out, the `scale` dest replicas one src replica feeds, per TP and CP
// rank. Equal needs none.
static void group_gathers(Plan& p, const SrcRanks& by_src, const DestRanks& by_dest) {
  const int k = p.scale;
  if (p.direction == Direction::fan_in) {
    for (int it = 0; it < p.dest_dp; ++it)
      for (int tp = 0; tp < p.src_tp; ++tp) {
        std::vector<int> g;
        for (int d = it * k; d < it * k + k; ++d) g.push_back(by_src.at({d, tp}));
        p.gather_groups.push_back(g);
      }
  } else if (p.direction == Direction::fan_out) {
    for (int it = 0; it < p.src_dp; ++it)
      for (int tp = 0; tp < p.dest_tp; ++tp)
        for (int cp = 0; cp < p.dest_cp; ++cp) {
          std::vector<int> g;
          for (int d = it * k; d < it * k + k; ++d) g.push_back(by_dest.at({d, tp, cp}));
          p.gather_groups.push_back(g);
        }
  }
}

// Each rank's (group, index) in `groups`, for ranks offset..offset+size-1.
static std::vector<std::pair<int, int>> index_groups(const std::vector<std::vector<int>>& groups, int offset, int size) {
  std::vector<std::pair<int, int>> at(size_t(size), {-1, -1});
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t i = 0; i < groups[g].size(); ++i) {
      const int r = groups[g][i] - offset;
      if (r >= 0 && r < size) at[size_t(r)] = {int(g), int(i)};
    }
  return at;
}

Plan make_plan(int world, const Grid& src, const Grid& dest) {
  validate(world, src, dest);
  Plan p;
  p.world = world;
  p.src = src;
  p.dest = dest;
  size_plan(p);
  const SrcRanks by_src = place_src(p);
  const DestRanks by_dest = place_dest(p);
  group_gathers(p, by_src, by_dest);
  if (p.dest_cp > 1) p.cp_groups = dest.rank_enum({"cp"});
  p.gather_at = index_groups(p.gather_groups, p.offset(), p.size());
  p.cp_at = index_groups(p.cp_groups, p.offset(), p.size());
  return p;
}

void check_batch(const Plan& p, int64_t B) {
  if (B < 1) throw Error("bad_batch", "batch " + std::to_string(B) + " < 1");
  if (B % p.scale != 0)
    throw Error("batch_not_divisible", "batch " + std::to_string(B) + " on the narrowing side is not divisible by scale " +
                                           std::to_string(p.scale));
}

Slice Plan::slice(int rank, int64_t B) const {
  check_batch(*this, B);
  if (direction == Direction::equal) return {0, B};
  int64_t size = B / scale;
  int d = direction == Direction::fan_out ? dest_of(rank).dp : src_of(rank).dp;
  return {int64_t(d % scale) * size, size};
}

static const std::vector<int>* find_group(const std::vector<std::vector<int>>& groups,
                                          const std::vector<std::pair<int, int>>& at, int offset, int rank,
                                          int* index) {
  const int64_t r = int64_t(rank) - offset;
  if (r >= 0 && r < int64_t(at.size())) {
    const auto [g, i] = at[size_t(r)];
    if (g >= 0 && size_t(g) < groups.size() && size_t(i) < groups[size_t(g)].size() && groups[size_t(g)][size_t(i)] == rank) {
      if (index) *index = i;
      return &groups[size_t(g)];
    }
  }
  for (const auto& g : groups)
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i] == rank) {
        if (index) *index = int(i);
        return &g;
      }
  return nullptr;
}

const std::vector<int>* Plan::gather_group_of(int rank, int* index) const {
  return find_group(gather_groups, gather_at, offset(), rank, index);
}
const std::vector<int>* Plan::cp_group_of(int rank, int* index) const {
  return find_group(cp_groups, cp_at, offset(), rank, index);
}

int64_t src_batch_for(const Plan& p, int64_t B) {
  check_batch(p, B);
  return p.direction == Direction::fan_in ? B / p.scale : B;
}

int64_t dest_batch_for(const Plan& p, int64_t b) {
  if (p.direction == Direction::fan_in) return checked_mul(b, p.scale, "dest batch (src batch x fan-in scale)");
  if (p.direction == Direction::fan_out) {
    check_batch(p, b);
    return b / p.scale;
  }
  return b;
}

int64_t unit_src_batch(const Plan& p) { return p.direction == Direction::fan_out ? p.scale : 1; }

GradRow grad_row_source(const Plan& p, int rank, int64_t b, int64_t i) {
  if (p.direction == Direction::fan_in) return {rank, p.slice(rank, dest_batch_for(p, b)).start + i};
  if (p.direction == Direction::fan_out) {
    const int64_t per = dest_batch_for(p, b);
    return {(*p.gather_group_of(rank))[size_t(i / per)], i % per};
  }
  return {rank, i};
}

int chunk_owner(int chunk, int cp) { return chunk < cp ? chunk : 2 * cp - 1 - chunk; }

int chunk_source(const Plan& p, int q, int chunk) {
  if (p.dest_cp == 1) return q;
  return (*p.cp_group_of(q))[size_t(chunk_owner(chunk, p.dest_cp))];
}

}  // namespace bb
