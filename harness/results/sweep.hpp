#pragma once
// Sweep axes: layouts (named seeds, every valid layout of a world, or a JSON sweep file),
// shapes, memory layouts, dtypes, strategies. A sweep file is validated whole before anything
// runs; every bad entry is reported with its path in the file.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "comm/nccl_path.hpp"
#include "oracle/oracle.hpp"
#include "plan/plan.hpp"

namespace bb {

struct LayoutCase {
  std::string name;
  int world = 8;
  int offset = 0;
  std::map<std::string, int> src, dest;
  std::vector<std::string> src_order{"tp", "cp", "pp", "dp"}, dest_order{"tp", "cp", "pp", "dp"};
  Plan plan() const;  // throws Error(rule)
};

std::vector<LayoutCase> seed_layouts();            // SPEC section 9
std::vector<LayoutCase> all_layouts(int world);    // every valid (src tp,dp) x (dest tp,cp,dp)
std::string layout_label(const LayoutCase& l);     // "tp2dp4-tp2cp2dp2"

struct SweepAxes {
  std::vector<LayoutCase> layouts;
  std::vector<std::array<int64_t, 3>> shapes;  // (b, s, h); b = encoder batch per rank
  std::vector<Layout> mems{Layout::bsh};
  std::vector<DType> dtypes{DType::bf16};
  std::vector<std::string> strategies{"reference", "fused"};
  std::vector<NcclPath> nccl_paths{NcclPath::default_path};  // sweep file key "nccl_paths" (bridge_bench's axis)
};

struct SweepPoint {
  LayoutCase layout;
  BridgeShape shape;
  std::string strategy;
  std::string id() const;
};

std::vector<SweepPoint> expand(const SweepAxes& axes);

// --layouts value: "seeds", "all" (needs world), a comma list of seed names, or a .json file.
std::vector<LayoutCase> layouts_from_arg(const std::string& arg, int world);
// "2x1024x4096,4x4096x4096" (b x s x h).
std::vector<std::array<int64_t, 3>> parse_shapes(const std::string& arg);
// Reads a sweep file (docs/sweep-file.md); Error("bad_sweep_file") lists every bad entry.
SweepAxes load_sweep_file(const std::string& path);

}  // namespace bb
