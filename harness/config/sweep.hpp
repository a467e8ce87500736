#pragma once
// Sweep axes: layouts (named seeds, every valid layout of a world, or a JSON sweep file),
// shapes, and the named axes of the axis table (config/axes.hpp: memory orders, dtypes,
// strategies, NCCL paths, the run settings). A sweep file is validated whole before anything
// runs; every bad entry is reported with its path in the file.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "comm/nccl_path.hpp"
#include "config/axes.hpp"
#include "config/validate.hpp"
#include "oracle/oracle.hpp"
#include "plan/plan.hpp"
#include "config/config_key.hpp"

namespace bb {

struct LayoutCase {
  std::string name;
  int world = 8;
  int offset = 0;
  std::map<std::string, int> src, dest;
  std::vector<std::string> src_order{"tp", "cp", "pp", "dp"}, dest_order{"tp", "cp", "pp", "dp"};
  Plan plan() const;  // throws Error(rule)
};

std::vector<LayoutCase> seed_layouts();            // semantics §9
std::vector<LayoutCase> all_layouts(int world);    // every valid (src tp,dp) x (dest tp,cp,dp)
std::string layout_label(const LayoutCase& l);     // "tp2dp4-tp2cp2dp2"

struct SweepAxes {
  int world = 0;  // a sweep file's "world" (0: the file does not say)
  std::vector<LayoutCase> layouts;
  std::vector<std::array<int64_t, 3>> shapes;  // (b, s, h); b = encoder batch per rank
  // The named axes' values by axis name (Axis::name), checked names, first mention first. An
  // axis not here runs at its sweep file default (Axis::file_default).
  std::map<std::string, std::vector<std::string>> named;
  std::vector<std::string> notes;  // a sweep file's repeated entries, dropped as it was read
  const std::vector<std::string>& values(const Axis& axis) const;
};

// One config of the sweep: its layout and its key, every axis set.
struct SweepPoint {
  LayoutCase layout;
  ConfigKey key;
};

// Every point: layouts x shapes x the named axes in table order (the last varies fastest).
std::vector<SweepPoint> expand(const SweepAxes& axes);
// How many points expand() would make, counted before making them (Error("too_large") if that
// overflows).
int64_t count_configs(const SweepAxes& axes);
// "3 layouts x 2 shapes x 2 memory orders x ...": what count_configs multiplied.
std::string count_terms(const SweepAxes& axes);
// Keeps the first of repeated entries on every axis and adds a note per repeat (what was
// dropped, and why). The same name for two different layouts is Error("duplicate_layout_name"):
// their results would share ids.
void dedupe_axes(SweepAxes& axes, std::vector<std::string>* notes);

// --layouts value: "seeds", "all" (needs world), a comma list of seed names, or a .json file.
std::vector<LayoutCase> layouts_from_arg(const std::string& arg, int world);
// "2x1024x4096,4x4096x4096" (b x s x h), each a 64-bit integer >= 1; Error("too_large") when
// b x s x h x 4 bytes overflows.
std::vector<std::array<int64_t, 3>> parse_shapes(const std::string& arg);
// Reads a sweep file (docs/sweep-file.md, config/sweep_file.cpp); Error("bad_sweep_file") lists
// every bad entry.
SweepAxes load_sweep_file(const std::string& path);

}  // namespace bb
