// Sweep axes and sweep files: expansion, named layouts, and validation that reports every bad
// entry with its path in the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "bridge/strategy.hpp"
#include "results/sweep.hpp"

namespace {

std::string write_tmp(const std::string& body) {
  static int n = 0;
  std::string path = "/tmp/bb_sweep_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".json";
  std::ofstream(path) << body;
  return path;
}

TEST(Sweep, SeedsAreTheSpecConfigs) {
  auto s = bb::seed_layouts();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].plan().direction, bb::Direction::fan_in);
  EXPECT_EQ(s[1].plan().direction, bb::Direction::fan_out);
  EXPECT_EQ(s[2].plan().dest_cp, 1);
}

TEST(Sweep, AllLayoutsAreValidAndLabelled) {
  auto all = bb::all_layouts(8);
  EXPECT_GT(all.size(), 20u);
  for (const auto& l : all) EXPECT_NO_THROW(l.plan()) << l.name;
  EXPECT_EQ(bb::layouts_from_arg("tp2dp4-tp2cp2dp2", 8).at(0).dest.at("cp"), 2);
  EXPECT_THROW(bb::layouts_from_arg("nope", 8), bb::Error);
}

TEST(Sweep, ExpandIsTheCrossProduct) {
  bb::SweepAxes a;
  a.layouts = bb::seed_layouts();
  a.shapes = bb::parse_shapes("1x8x4,2x16x4");
  a.mems = {bb::Layout::bsh, bb::Layout::sbh};
  auto pts = bb::expand(a);
  EXPECT_EQ(pts.size(), 3u * 2 * 2 * 1 * 2);
  EXPECT_EQ(pts[0].id(), "seed_fan_in_cp2/bsh/bf16/b1.s8.h4/reference");
  EXPECT_THROW(bb::parse_shapes("2x3"), bb::Error);
  EXPECT_THROW(bb::parse_shapes("2x0x4"), bb::Error);
}

TEST(SweepFile, ValidFileLoads) {
  auto path = write_tmp(R"({"world": 8, "layouts": ["seeds", {"name": "mine", "src": {"tp": 2, "dp": 4},
      "dest": {"tp": 1, "cp": 2, "dp": 4}}], "shapes": [{"b": 2, "s": 64, "h": 8}],
      "memory_layouts": ["sbh"], "dtypes": ["fp16"], "strategies": ["fused"]})");
  auto a = bb::load_sweep_file(path);
  EXPECT_EQ(a.layouts.size(), 4u);
  EXPECT_EQ(a.layouts[3].name, "mine");
  EXPECT_EQ(a.shapes.size(), 1u);
  EXPECT_EQ(a.mems.at(0), bb::Layout::sbh);
  EXPECT_EQ(a.dtypes.at(0), bb::DType::fp16);
  EXPECT_EQ(a.strategies, std::vector<std::string>{"fused"});
}

TEST(SweepFile, AllStrategiesMeansEveryRegisteredOne) {
  auto path = write_tmp(R"({"world": 8, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
      "strategies": ["all"]})");
  EXPECT_EQ(bb::load_sweep_file(path).strategies, bb::strategy_names());
  EXPECT_GE(bb::strategy_names().size(), 4u);
}

TEST(SweepFile, EveryBadEntryIsReportedWithItsPath) {
  auto path = write_tmp(R"({"world": 8, "colour": 1,
      "layouts": [{"src": {"tp": 2, "dp": 4}, "dest": {"tp": 1, "dp": 4, "cp": 2}, "dest_order": ["tp", "dp", "pp", "cp"]},
                  {"src": {"tp": 2, "dp": 4}},
                  {"src": {"tp": 2, "dp": 4}, "dest": {"tp": 2, "dp": 2}},
                  "bogus_name"],
      "shapes": [{"b": 2, "s": 64}], "dtypes": ["fp8"], "strategies": ["fast"]})");
  try {
    bb::load_sweep_file(path);
    FAIL() << "a bad sweep file loaded";
  } catch (const bb::Error& e) {
    EXPECT_EQ(e.rule(), "bad_sweep_file");
    std::string m = e.what();
    for (const char* want : {"$.colour: unknown key", "$.layouts[0]: cp_after_dp", "$.layouts[1].dest",
                             "$.layouts[2]: size_mismatch", "$.layouts[3]", "$.shapes[0].h", "$.dtypes[0]",
                             "$.strategies[0]", "8 bad entries"})
      EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in:\n" << m;
  }
}

TEST(SweepFile, UnreadableOrNotJson) {
  EXPECT_THROW(bb::load_sweep_file("/nonexistent/sweep.json"), bb::Error);
  EXPECT_THROW(bb::load_sweep_file(write_tmp("{not json")), bb::Error);
}

}  // namespace
