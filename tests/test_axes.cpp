// The axis table (config/axes.hpp): every row reaches the id, the key object and back, the
// flags, the sweep's count and the run options, so that an axis is its ConfigKey field and its row.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "config/axes.hpp"
#include "config/sweep.hpp"
#include "driver/options.hpp"
#include "rule_of.hpp"
#include "run/round_trip.hpp"

namespace {

using bbtest::rule_of;

// A key object as a file written before the run settings existed has it: they read as their defaults.
bb::ConfigKey seed_key() {
  return bb::ConfigKey::from_json(nlohmann::json::parse(R"({"layout": "seed_fan_in_cp2", "world": 8, "mem": "bsh",
      "dtype": "bf16", "b": 2, "s": 64, "h": 32, "strategy": "reference"})"));
}

// Every value a named row offers by default (flag and file), each once.
std::vector<std::string> offered(const bb::Axis& a) {
  std::vector<std::string> v = a.flag_default;
  for (const auto& x : a.file_default)
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  return v;
}

}  // namespace

TEST(AxisTable, KeyObjectOrderHoldsEveryRowOnce) {
  const auto& order = bb::key_object_order();
  ASSERT_EQ(order.size(), bb::axis_table().size());
  std::set<const bb::Axis*> seen(order.begin(), order.end());
  EXPECT_EQ(seen.size(), order.size());
  std::set<std::string> names;
  for (const bb::Axis& a : bb::axis_table()) EXPECT_TRUE(names.insert(a.name).second) << "two rows named " << a.name;
}

TEST(AxisTable, EveryRowIsComplete) {
  for (const bb::Axis& a : bb::axis_table()) {
    EXPECT_TRUE(a.get && a.json && a.read) << a.name;
    EXPECT_EQ(a.omitted.empty(), a.id_label.empty()) << a.name << ": a labelled axis names the value ids omit";
    if (!a.named()) continue;
    EXPECT_TRUE(a.from_file) << a.name;
    EXPECT_FALSE(a.file_default.empty()) << a.name << ": a sweep without it runs at its file default";
    if (!a.flag.empty()) EXPECT_TRUE(a.from_flag && !a.flag_default.empty()) << a.name;
    if (!a.file_key.empty() || !a.flag.empty()) EXPECT_FALSE(a.counted_as.empty()) << a.name << " varies in a sweep";
  }
}

// Each value by name into a key and back, through the id and the key object.
TEST(AxisTable, EveryNamedValueRoundTripsThroughTheKeyObject) {
  for (const bb::Axis& a : bb::axis_table()) {
    if (!a.named()) continue;
    for (const auto& v : offered(a)) {
      bb::ConfigKey k = seed_key();
      a.set(k, v);
      EXPECT_EQ(a.get(k), v) << a.name;
      const bb::ConfigKey back = bb::ConfigKey::from_json(nlohmann::json::parse(k.json().dump()));
      EXPECT_EQ(back.id(), k.id()) << a.name << "=" << v;
      EXPECT_EQ(back.json().dump(), k.json().dump()) << a.name << "=" << v;
      if (!a.omitted.empty() && v != a.omitted)
        EXPECT_NE(k.id().find("/" + a.id_label + "=" + v), std::string::npos) << k.id();
    }
  }
}

// A file written before a labelled axis existed ran at its default; an unlabelled axis (one
// every id has always named) missing from a key is a bad file.
TEST(AxisTable, AMissingEntryIsItsDefaultOnlyForALabelledAxis) {
  nlohmann::json j = nlohmann::json::parse(seed_key().json().dump());
  j.erase("contention");
  EXPECT_EQ(bb::ConfigKey::from_json(j).contention, bb::Contention::none);
  j.erase("strategy");
  EXPECT_EQ(rule_of([&] { bb::ConfigKey::from_json(j); }).rfind("bad_results: ", 0), 0u);
  nlohmann::json bad = nlohmann::json::parse(seed_key().json().dump());
  bad["nccl_path"] = "ce";
  EXPECT_EQ(rule_of([&] { bb::ConfigKey::from_json(bad); }).rfind("bad_results: ", 0), 0u);
}

TEST(AxisTable, FlagsAreTheTablesAndKeepTheirRules) {
  for (const bb::Axis& a : bb::axis_table())
    if (!a.flag.empty()) {
      EXPECT_EQ(bb::axis_with_flag(a.flag), &a);
      EXPECT_NE(bb::bench_usage().find("  " + a.flag + "="), std::string::npos) << a.flag << " is not in the usage";
    }
  const char* args[] = {"bridge_bench", "--mem=sbh", "--nccl-path=all", "--strategies=fused,reference"};
  int argc = 4;
  const bb::BenchOptions o = bb::parse_bench_options(&argc, const_cast<char**>(args));
  EXPECT_EQ(o.axis_flags.at("mem"), std::vector<std::string>{"sbh"});
  EXPECT_EQ(o.axis_flags.at("nccl_path").size(), 4u);
  EXPECT_EQ(o.nccl_paths.size(), 4u);
  EXPECT_EQ(o.axis_flags.at("strategy"), (std::vector<std::string>{"fused", "reference"}));
  auto refused = [](const char* flag) {
    const char* bad[] = {"bridge_bench", flag};
    int n = 2;
    return rule_of([&] { bb::parse_bench_options(&n, const_cast<char**>(bad)); });
  };
  EXPECT_EQ(refused("--mem=hsb").rfind("bad_mem_order: ", 0), 0u);
  EXPECT_EQ(refused("--dtypes=fp8").rfind("bad_dtype: ", 0), 0u);
  EXPECT_EQ(refused("--strategies=nope").rfind("bad_strategy: --strategies: ", 0), 0u);
  EXPECT_EQ(refused("--nccl-path=ce").rfind("bad_flag: --nccl-path is all or a list of ", 0), 0u);
  EXPECT_EQ(refused("--mem=bsh,,sbh"), "bad_flag: --mem has an empty item in 'bsh,,sbh' (a stray comma?)");
}

TEST(AxisTable, TheCountNamesEveryAxisThatVaries) {
  bb::SweepAxes a;
  a.layouts = bb::seed_layouts();
  a.shapes = bb::parse_shapes("1x8x4,2x8x4");
  a.named["mem"] = {"bsh", "sbh"};
  a.named["nccl_path"] = {"default", "zero-cta", "symmetric"};
  EXPECT_EQ(bb::count_configs(a), 3 * 2 * 2 * 1 * 2 * 3);
  // Each axis that varies, in table order (an axis added later follows these).
  EXPECT_EQ(bb::count_terms(a).rfind("3 layouts x 2 shapes x 2 memory orders x 1 dtypes x 2 strategies x 3 NCCL paths", 0), 0u)
      << bb::count_terms(a);
  EXPECT_EQ(int64_t(bb::expand(a).size()), bb::count_configs(a));
}

TEST(AxisTable, RunOptionsFollowTheKey) {
  bb::ConfigKey k = seed_key();
  k.path = bb::NcclPath::zero_cta;
  k.mode = bb::RunMode::graph;
  k.cadence = bb::Cadence::streaming;
  bb::RunOptions ro;
  bb::apply_axes(k, ro);
  EXPECT_EQ(ro.nccl_path, bb::NcclPath::zero_cta);
  EXPECT_TRUE(ro.graph);
  EXPECT_EQ(ro.cadence, bb::Cadence::streaming);
  bb::apply_axes(seed_key(), ro);
  EXPECT_EQ(ro.nccl_path, bb::NcclPath::default_path);
  EXPECT_FALSE(ro.graph);
  EXPECT_EQ(ro.cadence, bb::Cadence::isolated);
}
