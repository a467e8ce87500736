#pragma once
// semantics §3: the bridge plan. Pure logic: which rank gathers with whom, CP groups, slices.
#include <array>
#include <cstdint>
#include <string>
#include <vector>
#include <utility>

#include "plan/grid.hpp"

namespace bb {

enum class Direction { fan_in, fan_out, equal };
const char* direction_name(Direction d);

struct SrcPos {
  int dp = 0, tp = 0;
};
struct DestCoords {
  int dp = 0, tp = 0, cp = 0;
};
struct Slice {
  int64_t start = 0, size = 0;
};

struct Plan {
  int world = 0;
  Grid src, dest;
  Direction direction = Direction::equal;
  int scale = 1;
  int src_tp = 1, src_dp = 1, dest_tp = 1, dest_cp = 1, dest_dp = 1;
  // Indexed by rank - offset().
  std::vector<SrcPos> src_pos;
  std::vector<DestCoords> dest_coords;
  std::vector<std::vector<int>> gather_groups;  // world ranks, in concatenation order
  std::vector<std::vector<int>> cp_groups;      // world ranks
  // Where each rank sits in gather_groups / cp_groups, indexed by rank - offset(): (group,
  // index), or (-1, -1). Made by make_plan, so finding a rank's group is O(1) at any world; a
  // lookup checks it against the groups and falls back to a scan if they were changed since.
  std::vector<std::pair<int, int>> gather_at, cp_at;

  int offset() const { return src.offset; }
  int size() const { return src.size(); }
  bool in_grid(int rank) const { return rank >= offset() && rank < offset() + size(); }
  const SrcPos& src_of(int rank) const { return src_pos[size_t(rank - offset())]; }
  const DestCoords& dest_of(int rank) const { return dest_coords[size_t(rank - offset())]; }

  // The narrowing side's slice of a batch of size B (fan-out forward, fan-in backward); (0, B)
  // for equal. Throws Error("batch_not_divisible").
  Slice slice(int rank, int64_t B) const;
  // Group holding `rank` and its index in it; nullptr when none.
  const std::vector<int>* gather_group_of(int rank, int* index = nullptr) const;
  const std::vector<int>* cp_group_of(int rank, int* index = nullptr) const;
};

// Validates in the order of semantics §3 (first failure wins, thrown as Error(rule id)) and builds the plan.
Plan make_plan(int world, const Grid& src, const Grid& dest);

// Checks the run-time rule of semantics §3 for a batch size on the narrowing side.
void check_batch(const Plan& p, int64_t B);

// The plan's batch arithmetic. Src batch per rank implied by a batch B on the narrowing side
// (semantics §3's --batch); the dest batch per rank a src batch makes (fan-in multiplies it).
int64_t src_batch_for(const Plan& p, int64_t B);
int64_t dest_batch_for(const Plan& p, int64_t src_batch);
// The smallest src batch the plan accepts (scale for fan-out, else 1).
int64_t unit_src_batch(const Plan& p);

// Backward (semantics §4): where src rank `rank`'s gradient row `i` (of a src batch `b`) comes
// from: the dest rank whose (CP-reduced) gradient feeds it, and the row there. Fan-in narrows
// (rank's slice of the dest batch), fan-out all-gathers (the group member holding row i), equal
// is the identity.
struct GradRow {
  int dest_rank = 0;
  int64_t row = 0;
};
GradRow grad_row_source(const Plan& p, int rank, int64_t b, int64_t i);
// semantics §5: CP rank r of `cp` owns the sequence chunks r and 2cp-1-r; the owner of `chunk`.
int chunk_owner(int chunk, int cp);
// The dest rank whose gradient chunk `chunk` lands in dest rank q's full gradient after the CP
// reduction: the CP sibling of q that owns the chunk (q itself without CP).
int chunk_source(const Plan& p, int q, int chunk);

}  // namespace bb
