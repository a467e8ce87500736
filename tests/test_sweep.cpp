// Sweep axes and sweep files: expansion, named layouts, and validation that reports every bad
// entry with its path in the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "bridge/strategy.hpp"
#include "config/sweep.hpp"
#include "rule_of.hpp"

namespace {

// Sweep files live in one temp dir per test process, removed when the process ends.
struct TmpDir {
  std::string path;
  TmpDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bb_sweep_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TmpDir() { std::filesystem::remove_all(path); }
};

std::string write_tmp(const std::string& body) {
  static TmpDir dir;
  static int n = 0;
  std::string path = dir.path + "/" + std::to_string(n++) + ".json";
  std::ofstream(path) << body;
  return path;
}

using bbtest::rule_of;

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
  a.named["mem"] = {"bsh", "sbh"};
  auto pts = bb::expand(a);
  EXPECT_EQ(pts.size(), 3u * 2 * 2 * 1 * 2);
  EXPECT_EQ(pts[0].key.id(), "seed_fan_in_cp2/bsh/bf16/b1.s8.h4/reference");
  // The last axis varies fastest: strategies (then NCCL paths, each one here), mems, shapes, layouts.
  EXPECT_EQ(pts[1].key.id(), "seed_fan_in_cp2/bsh/bf16/b1.s8.h4/fused");
  EXPECT_EQ(pts[2].key.id(), "seed_fan_in_cp2/sbh/bf16/b1.s8.h4/reference");
  EXPECT_EQ(pts[4].key.id(), "seed_fan_in_cp2/bsh/bf16/b2.s16.h4/reference");
  EXPECT_EQ(pts[8].layout.name, "seed_fan_out_cp2");
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
  EXPECT_EQ(a.named.at("mem"), std::vector<std::string>{"sbh"});
  EXPECT_EQ(a.named.at("dtype"), std::vector<std::string>{"fp16"});
  EXPECT_EQ(a.named.at("strategy"), std::vector<std::string>{"fused"});
  EXPECT_EQ(a.named.at("nccl_path"), std::vector<std::string>{"default"});  // absent: its default
}

// "mems" is the memory orders' key; "memory_layouts" its older spelling, still read. Errors
// name the key the file used; both keys in one file is a duplicate.
TEST(SweepFile, MemsKeyNamesTheMemoryOrders) {
  auto a = bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
      "mems": ["sbh", "bsh"]})"));
  EXPECT_EQ(a.named.at("mem"), (std::vector<std::string>{"sbh", "bsh"}));
  const std::string m = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
        "mems": ["bsh", "hsb"]})"));
  });
  EXPECT_NE(m.find("$.mems[1]: unknown memory order 'hsb'"), std::string::npos) << m;
}

TEST(SweepFile, MemoryLayoutsIsTheOlderSpellingOfMems) {
  auto a = bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
      "memory_layouts": ["sbh"]})"));
  EXPECT_EQ(a.named.at("mem"), std::vector<std::string>{"sbh"});
  const std::string m = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
        "memory_layouts": ["bsh", "hsb"]})"));
  });
  EXPECT_NE(m.find("$.memory_layouts[1]: unknown memory order 'hsb'"), std::string::npos) << m;
}

TEST(SweepFile, MemsAndMemoryLayoutsTogetherIsADuplicateKey) {
  const std::string m = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
        "mems": ["bsh"], "memory_layouts": ["sbh"]})"));
  });
  EXPECT_EQ(m.rfind("bad_sweep_file: ", 0), 0u) << m;
  EXPECT_NE(m.find("$.memory_layouts: duplicate_key"), std::string::npos) << m;
  EXPECT_NE(m.find("1 bad entry"), std::string::npos) << m;
}

TEST(SweepFile, AllStrategiesMeansEveryRegisteredOne) {
  auto path = write_tmp(R"({"world": 8, "layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 8}],
      "strategies": ["all"]})");
  EXPECT_EQ(bb::load_sweep_file(path).named.at("strategy"), bb::strategy_names());
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

TEST(SweepFile, WorldIsRangeCheckedAndReported) {
  auto a = bb::load_sweep_file(write_tmp(R"({"world": 12, "layouts": [{"src": {"tp": 2, "dp": 6},
      "dest": {"tp": 2, "dp": 6}}], "shapes": [{"b": 1, "s": 8, "h": 4}]})"));
  EXPECT_EQ(a.world, 12);
  EXPECT_EQ(a.layouts.at(0).world, 12);
  // 4294967304 = 2^32 + 8: it used to be read as a world of 8.
  const std::string m = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"world": 4294967304, "layouts": ["seeds"], "shapes": [{"b": 1, "s": 8, "h": 4}]})"));
  });
  EXPECT_NE(m.find("$.world: too_large: 4294967304"), std::string::npos) << m;
}

TEST(SweepFile, OversizedValuesAreTooLargeNotWrapped) {
  const std::string m = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"layouts": [{"src": {"tp": 4294967298, "dp": 4}, "dest": {"tp": 2, "dp": 4},
        "offset": 2147483648}], "shapes": [{"b": 18446744073709551615, "s": 8, "h": 4},
        {"b": 4611686018427387904, "s": 2, "h": 2}]})"));
  });
  for (const char* want : {"$.layouts[0].src.tp: too_large", "$.layouts[0].offset: too_large", "$.shapes[0].b: too_large",
                           "$.shapes[1]: too_large"})
    EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in:\n" << m;
}

TEST(SweepFile, UnknownKeyInAShapeIsReported) {
  const std::string m = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds"], "shapes": [{"b": 1, "s": 8, "h": 4, "d": 2}]})"));
  });
  EXPECT_NE(m.find("$.shapes[0].d: unknown key"), std::string::npos) << m;
}

TEST(Sweep, ShapesAreCheckedIn64Bits) {
  EXPECT_EQ(rule_of([] { bb::parse_shapes("2x4294967296x4294967296"); }).rfind("too_large: ", 0), 0u);
  EXPECT_EQ(rule_of([] { bb::parse_shapes("4611686018427387904x2x2"); }).rfind("too_large: ", 0), 0u);
  EXPECT_EQ(rule_of([] { bb::parse_shapes("99999999999999999999x2x2"); }).rfind("too_large: ", 0), 0u);
  EXPECT_EQ(rule_of([] { bb::parse_shapes("2x-4x2"); }).rfind("bad_flag: ", 0), 0u);
  EXPECT_EQ(bb::parse_shapes("100000x100000x100000").at(0)[2], 100000);
}

TEST(Sweep, RepeatsAreDroppedAndSaid) {
  bb::SweepAxes a;
  a.layouts = bb::seed_layouts();
  a.layouts.push_back(bb::seed_layouts()[0]);
  a.shapes = bb::parse_shapes("1x64x32,1x64x32,2x64x32");
  a.named["mem"] = {"bsh", "bsh"};
  a.named["strategy"] = {"fused", "fused"};
  std::vector<std::string> notes;
  bb::dedupe_axes(a, &notes);
  EXPECT_EQ(a.layouts.size(), 3u);
  EXPECT_EQ(a.shapes.size(), 2u);
  EXPECT_EQ(a.named.at("mem").size(), 1u);
  EXPECT_EQ(a.named.at("strategy").size(), 1u);
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_EQ(notes[3], "strategies lists fused 2 times; it runs once");
  EXPECT_EQ(bb::count_configs(a), 3 * 2 * 1 * 1 * 1);
}

TEST(Sweep, OneNameForTwoLayoutsIsRefused) {
  bb::SweepAxes a;
  a.layouts = bb::seed_layouts();
  a.layouts.push_back(bb::seed_layouts()[1]);
  a.layouts.back().name = a.layouts[0].name;
  std::vector<std::string> notes;
  EXPECT_EQ(rule_of([&] { bb::dedupe_axes(a, &notes); }).rfind("duplicate_layout_name: ", 0), 0u);
}

// Issue 20 S24: one layout under two names runs once, and the note names both.
TEST(Sweep, OneLayoutUnderTwoNamesIsSaid) {
  bb::SweepAxes a;
  a.layouts = {bb::seed_layouts()[0], bb::seed_layouts()[0]};
  a.layouts[1].name = "alias";
  std::vector<std::string> notes;
  bb::dedupe_axes(a, &notes);
  ASSERT_EQ(a.layouts.size(), 1u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "layouts 'alias' and 'seed_fan_in_cp2' are one layout; it runs once, as 'seed_fan_in_cp2' "
                      "(its results carry that name)");
}

// Issue 20 B49, S21: "seeds" and "all" stand among names, in --layouts and in a file.
TEST(Sweep, SeedsAndAllMixWithNames) {
  const auto l = bb::layouts_from_arg("seeds,tp1dp8-tp8dp1", 8);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[3].name, "tp1dp8-tp8dp1");
  EXPECT_EQ(bb::layouts_from_arg("all,seed_fan_in_cp1", 8).size(), bb::all_layouts(8).size() + 1);
  EXPECT_EQ(rule_of([] { bb::layouts_from_arg("seeds,", 8); }), "bad_flag: --layouts has an empty item in 'seeds,' (a stray comma?)");
  auto a = bb::load_sweep_file(write_tmp(R"({"layouts": ["seeds", "seed_fan_in_cp1"], "shapes": [{"b": 2, "s": 64, "h": 32}],
                                            "strategies": ["all", "reference"]})"));
  EXPECT_EQ(a.layouts.size(), 4u);
  EXPECT_EQ(a.named.at("strategy").size(), bb::strategy_names().size() + 1);
}

// Issue 20 S14, S29: a key given twice in one object (JSON keeps the last) is reported at its
// path, at any depth.
TEST(SweepFile, DuplicateKeysAreReported) {
  const std::string err = rule_of([] {
    bb::load_sweep_file(write_tmp(R"({"layouts": [{"src": {"tp": 2, "dp": 4}, "dest": {"tp": 2, "dp": 4, "tp": 4, "dp": 2}}],
                                     "shapes": [{"b": 2, "s": 64, "h": 32}], "shapes": [{"b": 4, "s": 64, "h": 32}]})"));
  });
  EXPECT_EQ(err.rfind("bad_sweep_file: 3 bad entries:", 0), 0u) << err;
  EXPECT_NE(err.find("$.layouts[].dest.tp: duplicate_key: given twice"), std::string::npos) << err;
  EXPECT_NE(err.find("$.layouts[].dest.dp: duplicate_key"), std::string::npos) << err;
  EXPECT_NE(err.find("$.shapes: duplicate_key"), std::string::npos) << err;
}

// Issue 20 S17, S18: a layout name starts every config id; empty or with '/', ids are ambiguous.
TEST(SweepFile, EmptyOrSlashLayoutNamesAreRefused) {
  for (const char* name : {"", "a/b"}) {
    const std::string err = rule_of([&] {
      bb::load_sweep_file(write_tmp(std::string(R"({"layouts": [{"name": ")") + name +
                                    R"(", "src": {"tp": 2, "dp": 4}, "dest": {"tp": 4, "dp": 2}}], "shapes": [{"b": 2, "s": 64, "h": 32}]})"));
    });
    EXPECT_NE(err.find("$.layouts[0].name: bad_layout_name: '" + std::string(name) + "' must be non-empty and without '/'"),
              std::string::npos)
        << err;
  }
}

// Issue 20 S28: repeated entries are dropped as the file is read (one hash lookup each), and
// said once with their count.
TEST(SweepFile, RepeatedEntriesAreDroppedInOnePass) {
  std::string body = R"({"layouts": [)";
  for (int i = 0; i < 20000; ++i) body += std::string(i ? "," : "") + (i % 2 ? R"("seed_fan_in_cp1")" : R"({"src": {"tp": 2, "dp": 4}, "dest": {"tp": 4, "dp": 2}})");
  body += R"(], "shapes": [{"b": 2, "s": 64, "h": 32}]})";
  const auto a = bb::load_sweep_file(write_tmp(body));
  ASSERT_EQ(a.layouts.size(), 2u);
  ASSERT_EQ(a.notes.size(), 2u);
  EXPECT_EQ(a.notes[0], R"(layouts lists {"dest":{"dp":2,"tp":4},"src":{"dp":4,"tp":2}} 10000 times; it runs once)");
  EXPECT_EQ(a.notes[1], "layouts lists 'seed_fan_in_cp1' 10000 times; it runs once");
}

TEST(Sweep, ConfigCountIsTheProductOfTheAxes) {
  bb::SweepAxes a;
  a.layouts.resize(4);
  a.shapes.resize(4);
  EXPECT_EQ(bb::count_configs(a), 4 * 4 * 1 * 1 * 2);
}

TEST(SweepFile, UnreadableOrNotJson) {
  EXPECT_THROW(bb::load_sweep_file("/nonexistent/sweep.json"), bb::Error);
  EXPECT_THROW(bb::load_sweep_file(write_tmp("{not json")), bb::Error);
}

}  // namespace
