// The config key (config/config_key.hpp): the one place an id is made, ids that differ whenever
// keys do, the JSON's "key" object, and the stdout summary comparing each config with the
// `reference` of its own NCCL path and run settings (never the last reference of a shared id
// prefix, which put `reference/path=registered` at 0.99x against `reference/path=zero-cta`).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <iterator>
#include <string>
#include <vector>

#include "driver/summary.hpp"
#include "driver/sweep_run.hpp"
#include "config/axes.hpp"
#include "config/config_key.hpp"

namespace {

using json = nlohmann::ordered_json;

bb::ConfigKey seed_key(const std::string& strategy = "reference") {
  bb::ConfigKey k;
  k.layout = "seed_fan_in_cp2";
  k.world = 8;
  k.shape.mem = bb::MemOrder::sbh;
  k.shape.dtype = bb::DType::bf16;
  k.shape.b = 2;
  k.shape.s = 4096;
  k.shape.h = 4096;
  k.strategy = strategy;
  return k;
}

}  // namespace

TEST(ConfigKey, DefaultIdIsTheHistoricOne) {
  EXPECT_EQ(seed_key().id(), "seed_fan_in_cp2/sbh/bf16/b2.s4096.h4096/reference");
}

TEST(ConfigKey, EveryNonDefaultAxisIsNamedAfterTheStrategy) {
  bb::ConfigKey k = seed_key("fused");
  k.path = bb::NcclPath::zero_cta;
  k.contention = bb::Contention::gemm;
  EXPECT_EQ(k.id(), "seed_fan_in_cp2/sbh/bf16/b2.s4096.h4096/fused/path=zero-cta/contention=gemm");
  k.path = bb::NcclPath::default_path;
  k.contention = bb::Contention::none;
  k.mode = bb::RunMode::graph;
  EXPECT_EQ(k.id(), "seed_fan_in_cp2/sbh/bf16/b2.s4096.h4096/fused/mode=graph");
  k.mode = bb::RunMode::timed;
  k.cadence = bb::Cadence::streaming;
  EXPECT_EQ(k.id(), "seed_fan_in_cp2/sbh/bf16/b2.s4096.h4096/fused/cadence=streaming");
}

TEST(ConfigKey, IdsDifferWheneverKeysDo) {
  std::set<std::string> ids, keys;
  int n = 0;
  for (const char* st : {"reference", "fused"})
    for (int p = 0; p < bb::kNcclPathCount; ++p)
      for (auto c : {bb::Contention::none, bb::Contention::gemm})
        for (auto m : {bb::RunMode::timed, bb::RunMode::graph, bb::RunMode::profile})
          for (auto cad : {bb::Cadence::isolated, bb::Cadence::streaming}) {
            bb::ConfigKey k = seed_key(st);
            k.path = bb::NcclPath(p);
            k.contention = c;
            k.mode = m;
            k.cadence = cad;
            ids.insert(k.id());
            keys.insert(k.json().dump());
            ++n;
          }
  EXPECT_EQ(int(keys.size()), n);
  EXPECT_EQ(ids.size(), keys.size()) << "two keys share an id";
}

TEST(ConfigKey, JsonHoldsEveryAxisInTheWritersOrder) {
  bb::ConfigKey k = seed_key("fused");
  k.path = bb::NcclPath::registered;
  const json j = k.json();
  std::vector<std::string> names;
  for (const auto& [name, _] : j.items()) names.push_back(name);
  // The order files have always had; an axis added since follows, under its row's name.
  const std::vector<std::string> historic{"layout", "world", "mem", "dtype", "b", "s", "h", "strategy", "mode",
                                          "cadence", "nccl_path", "contention"};
  ASSERT_GE(names.size(), historic.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + long(historic.size())), historic);
  for (size_t i = historic.size(); i < names.size(); ++i) EXPECT_EQ(bb::axis_named(names[i]).name, names[i]);
  EXPECT_EQ(j["nccl_path"], "registered");
  EXPECT_EQ(j["mem"], "sbh");
  EXPECT_EQ(j["world"], 8);
  EXPECT_EQ(j["contention"], "none");
}

TEST(ConfigKey, CollectiveIdNamesItsSizeBeforeItsPath) {
  bb::CollectiveKey k;
  k.layout = "seed_fan_in_cp2";
  k.world = 8;
  k.shape = seed_key().shape;
  k.op = "all_gather";
  k.phase = bb::Phase::fwd_comm;
  k.bytes = 4096;
  EXPECT_EQ(k.id(), "seed_fan_in_cp2/bf16/b2.s4096.h4096/all_gather.fwd_comm");
  k.path = bb::NcclPath::symmetric;
  k.bytes_in_id = true;
  EXPECT_EQ(k.id(), "seed_fan_in_cp2/bf16/b2.s4096.h4096/all_gather.fwd_comm.b4096/path=symmetric");
  EXPECT_EQ(k.json()["bytes_per_rank"], 4096);
  EXPECT_EQ(k.json()["phase"], "fwd_comm");
}

TEST(ConfigKey, RunModeNamesRoundTrip) {
  for (auto m : {bb::RunMode::timed, bb::RunMode::graph, bb::RunMode::profile})
    EXPECT_EQ(bb::parse_run_mode(bb::run_mode_name(m)), m);
  try {
    bb::parse_run_mode("eager");
    FAIL() << "an unknown mode must be refused";
  } catch (const bb::Error& e) {
    EXPECT_EQ(e.rule(), "bad_flag");
  }
}

namespace {

// A config record of `key` whose round trip took `ms` in every sample.
bb::ConfigRecord summary_config(const bb::ConfigKey& key, double ms) {
  bb::ConfigRecord c;
  c.key = key;
  c.id = key.id();
  c.total_ms = {ms, ms, ms};
  c.repetition_sizes = {3};
  return c;
}

std::string summary_of(const bb::RunSummary& run) {
  char* buf = nullptr;
  size_t n = 0;
  std::FILE* mem = open_memstream(&buf, &n);
  bb::print_summary(mem, run, "x.json");
  std::fclose(mem);
  std::string s(buf, n);
  std::free(buf);
  return s;
}

// The "vs ref" column of the summary line that starts with `id`.
std::string vs_ref(const std::string& summary, const std::string& id) {
  std::istringstream in(summary);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string first;
    f >> first;
    if (first != id) continue;
    std::vector<std::string> cols;
    for (std::string c; f >> c;) cols.push_back(c);
    return cols.size() >= 2 ? cols[cols.size() - 2] : "?";
  }
  return "(no line)";
}

}  // namespace

TEST(Summary, EachConfigIsAgainstTheReferenceOfItsOwnPathAndContention) {
  bb::RunSummary doc;
  doc.backend = "host";
  // reference at two paths (2.0 and 4.0 ms) and at the default path under contention (8.0 ms),
  // then fused at each: every speedup must be 2.00x against its own reference.
  struct Row {
    bb::NcclPath path;
    bb::Contention load;
    double ref_ms;
  };
  const Row rows[] = {{bb::NcclPath::default_path, bb::Contention::none, 2.0},
                      {bb::NcclPath::zero_cta, bb::Contention::none, 4.0},
                      {bb::NcclPath::default_path, bb::Contention::gemm, 8.0}};
  for (const auto& r : rows) {
    bb::ConfigKey k = seed_key("reference");
    k.path = r.path;
    k.contention = r.load;
    doc.configs.push_back(summary_config(k, r.ref_ms));
  }
  for (const auto& r : rows) {
    bb::ConfigKey k = seed_key("fused");
    k.path = r.path;
    k.contention = r.load;
    doc.configs.push_back(summary_config(k, r.ref_ms / 2));
  }
  bb::ConfigKey lone = seed_key("fused");
  lone.path = bb::NcclPath::symmetric;  // no reference on this path: no speedup
  doc.configs.push_back(summary_config(lone, 1.0));
  const std::string s = summary_of(doc);
  for (const auto& c : doc.configs) {
    const std::string id = c.id;
    const std::string want = c.key.strategy == "reference" ? "1.00x" : id == lone.id() ? "-" : "2.00x";
    EXPECT_EQ(vs_ref(s, id), want) << id << "\n" << s;
  }
}

TEST(SweepRunKey, EveryEntryCarriesTheKeyOfItsOwnFields) {
  // Through the flags, as a user gives them: the run settings reach every key.
  const std::string json_out = "--json=" + testing::TempDir() + "/config_key_sweep.json";
  const char* args[] = {"bridge_bench", "--backend=host", "--layouts=seed_fan_in_cp2", "--shapes=2x64x32", "--mem=sbh",
                        "--strategies=reference,fused", "--iters=2", "--warmup=0", "--cadence=streaming",
                        "--timeout=20", json_out.c_str()};
  int argc = int(std::size(args));
  std::vector<char*> argv;
  for (const char* a : args) argv.push_back(const_cast<char*>(a));
  argv.push_back(nullptr);
  const bb::BenchOptions o = bb::parse_bench_options(&argc, argv.data());
  bb::SweepRun run(o);
  run.prepare();
  run.launch([&] {
    for (size_t k = 0; k < run.size(); ++k) EXPECT_TRUE(run.run(k).measured);
  });
  const json j = run.results_json(nullptr);
  ASSERT_EQ(j["configs"].size(), 2u);
  for (size_t i = 0; i < j["configs"].size(); ++i) {
    const json& c = j["configs"][i];
    const json& k = c["key"];
    EXPECT_EQ(k["layout"], c["layout"]);
    EXPECT_EQ(k["world"], c["world"]);
    for (const char* f : {"mem", "dtype", "b", "s", "h"}) EXPECT_EQ(k[f], c["shape"][f]) << f;
    EXPECT_EQ(k["strategy"], c["strategy"]);
    EXPECT_EQ(k["mode"], c["mode"]);
    EXPECT_EQ(k["cadence"], c["cadence"]);
    EXPECT_EQ(k["cadence"], "streaming");
    EXPECT_EQ(k["nccl_path"], c["nccl_path"]["requested"]);
    EXPECT_EQ(k["contention"], c["contention"]["load"]);
    EXPECT_EQ("bridge/" + c["id"].get<std::string>(), run.name(i));
    EXPECT_NE(c["id"].get<std::string>().find("/cadence=streaming"), std::string::npos) << c["id"];
  }
  ASSERT_FALSE(j["collectives"].empty());
  for (const auto& c : j["collectives"]) {
    const json& k = c["key"];
    EXPECT_EQ(k["layout"], c["layout"]);
    EXPECT_EQ(k["op"], c["op"]);
    EXPECT_EQ(k["phase"], c["phase"]);
    EXPECT_EQ(k["dtype"], c["dtype"]);
    EXPECT_EQ(k["bytes_per_rank"], c["bytes_per_rank"]);
    EXPECT_EQ(k["nccl_path"], c["nccl_path"]);
    EXPECT_EQ(k["b"], 2);
  }
}
