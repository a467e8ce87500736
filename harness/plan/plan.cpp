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

Plan make_plan(int world, const Grid& src, const Grid& dest) {
  validate(world, src, dest);
  Plan p;
  p.world = world;
  p.src = src;
  p.dest = dest;
  p.src_tp = src.dim_size("tp");
  p.src_dp = src.dim_size("dp");
  p.dest_tp = dest.dim_size("tp");
  p.dest_cp = dest.dim_size("cp");
  p.dest_dp = dest.dim_size("dp");
  if (p.src_dp > p.dest_dp) {
    p.direction = Direction::fan_in;
    p.scale = p.src_dp / p.dest_dp;
  } else if (p.dest_dp > p.src_dp) {
    p.direction = Direction::fan_out;
    p.scale = p.dest_dp / p.src_dp;
  }
  const int n = src.size(), off = src.offset;

  p.src_pos.resize(size_t(n));
  std::map<std::pair<int, int>, int> by_src;  // (dp, tp) -> rank
  auto src_groups = src.rank_enum({"tp"});
  for (size_t g = 0; g < src_groups.size(); ++g)
    for (size_t i = 0; i < src_groups[g].size(); ++i) {
      int r = src_groups[g][i];
      p.src_pos[size_t(r - off)] = {int(g), int(i)};
      by_src[{int(g), int(i)}] = r;
    }

  p.dest_coords.resize(size_t(n));
  std::map<std::array<int, 3>, int> by_dest;  // (dp, tp, cp) -> rank
  int dp_idx = 0;
  for (const auto& grp : dest.rank_enum({"tp"})) {
    int cp_idx = dest.coord(grp[0], "cp");
    for (size_t i = 0; i < grp.size(); ++i) {
      p.dest_coords[size_t(grp[i] - off)] = {dp_idx, int(i), cp_idx};
      by_dest[{dp_idx, int(i), cp_idx}] = grp[i];
    }
    if (cp_idx == p.dest_cp - 1) ++dp_idx;
  }

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
  if (p.dest_cp > 1) p.cp_groups = dest.rank_enum({"cp"});
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

static const std::vector<int>* find_group(const std::vector<std::vector<int>>& groups, int rank, int* index) {
  for (const auto& g : groups)
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i] == rank) {
        if (index) *index = int(i);
        return &g;
      }
  return nullptr;
}

const std::vector<int>* Plan::gather_group_of(int rank, int* index) const {
  return find_group(gather_groups, rank, index);
}
const std::vector<int>* Plan::cp_group_of(int rank, int* index) const {
  return find_group(cp_groups, rank, index);
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

}  // namespace bb
