// One negative test per rule id, through the library and through the bridge-plan CLI, and the
// run-time bad inputs of a bridge run: each a clear error, never a crash.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bridge_util.hpp"
#include "plan/audit.hpp"
#include "plan/layout_arg.hpp"

namespace {

struct RuleCase {
  std::string rule;
  std::string cli;  // arguments for bridge-plan
};

// Each case breaks exactly one rule (and no earlier one in the validation order of semantics §3).
std::vector<RuleCase> rule_cases() {
  return {
      {"grid_exceeds_world", "--world 8 --offset 6 --src tp=2,dp=2 --dest tp=1,dp=4"},
      {"missing_dim", "--world 8 --src tp=2,dp=4 --src-order tp,cp,pp --dest tp=2,dp=4"},
      {"missing_dim", "--world 8 --src tp=2,dp=4 --dest dp=8 --dest-order cp,pp,dp"},
      {"size_mismatch", "--world 8 --src tp=2,dp=4 --dest tp=2,dp=2"},
      {"offset_mismatch", "--world 8 --src tp=2,dp=2 --dest tp=1,dp=4 --dest-offset 4"},
      {"pp_not_one", "--world 8 --src tp=4,dp=2 --dest tp=2,pp=2,dp=2"},
      {"pp_not_one", "--world 8 --src tp=2,pp=2,dp=2 --dest tp=2,dp=4"},
      {"src_cp_not_one", "--world 8 --src tp=2,cp=2,dp=2 --dest tp=4,dp=2"},
      {"cp_after_dp", "--world 8 --src tp=2,dp=4 --dest tp=1,dp=4,cp=2 --dest-order tp,dp,pp,cp"},
      {"dp_not_divisible", "--world 6 --src tp=2,dp=3 --dest tp=3,dp=2"},
      {"batch_not_divisible", "--world 8 --src tp=4,dp=2 --dest tp=2,dp=4 --batch 3"},
  };
}

bool n_read(FILE* f, std::array<char, 4096>& buf, std::string& to) {
  const size_t n = fread(buf.data(), 1, buf.size(), f);
  to.append(buf.data(), n);
  return n > 0;
}

struct CliResult {
  int code;
  std::string out, err;
};

// stderr goes to a temp file that is removed before returning: tests leave nothing behind.
CliResult run_cli(const std::string& args) {
  std::string err_tmpl = (std::filesystem::temp_directory_path() / "bb_cli_err_XXXXXX").string();
  const int fd = mkstemp(err_tmpl.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  const std::string err_path = err_tmpl;
  std::string cmd = std::string(BB_PLAN_CLI) + " " + args + " 2>" + err_path;
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  FILE* e = fopen(err_path.c_str(), "r");
  while (e && (n_read(e, buf, r.err))) {
  }
  if (e) fclose(e);
  std::remove(err_path.c_str());
  return r;
}

// Parses the CLI arguments into grids and runs the library directly.
std::string library_rule(const std::string& args) {
  std::map<std::string, std::string> kv;
  std::istringstream in(args);
  std::string k, v;
  while (in >> k >> v) kv[k] = v;
  auto get = [&](const std::string& key, const std::string& def) { return kv.count(key) ? kv[key] : def; };
  try {
    int off = std::stoi(get("--offset", "0"));
    bb::Grid src = bb::make_grid(bb::parse_sizes(kv["--src"]), bb::parse_order(get("--src-order", "tp,cp,pp,dp")), off);
    bb::Grid dest = bb::make_grid(bb::parse_sizes(kv["--dest"]), bb::parse_order(get("--dest-order", "tp,cp,pp,dp")),
                                  std::stoi(get("--dest-offset", std::to_string(off))));
    bb::Plan p = bb::make_plan(std::stoi(kv["--world"]), src, dest);
    if (kv.count("--batch")) bb::check_batch(p, std::stoll(kv["--batch"]));
  } catch (const bb::Error& e) {
    return e.rule();
  }
  return "";
}

class Rule : public ::testing::TestWithParam<RuleCase> {};

TEST_P(Rule, LibraryNamesTheRule) { EXPECT_EQ(library_rule(GetParam().cli), GetParam().rule); }

TEST_P(Rule, CliExits2WithTheRule) {
  auto r = run_cli(GetParam().cli);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: " + GetParam().rule + ": ", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty()) << "nothing on stdout for an invalid layout";
}

INSTANTIATE_TEST_SUITE_P(Spec, Rule, ::testing::ValuesIn(rule_cases()), [](const auto& i) {
  return i.param.rule + "_" + std::to_string(i.index);
});

// cp_after_dp holds for any dest order naming cp after dp, cp = 1 included (semantics §3's
// table; upstream Megatron accepts cp = 1 there: docs/upstream-parity.md).
TEST(PlanRule, CpAfterDpHoldsAtCpOneToo) {
  EXPECT_EQ(library_rule("--world 8 --src tp=2,dp=4 --dest tp=4,dp=2,cp=1 --dest-order tp,dp,pp,cp"), "cp_after_dp");
  EXPECT_EQ(library_rule("--world 8 --src tp=2,dp=4 --dest tp=2,dp=2,cp=2 --dest-order tp,dp,pp,cp"), "cp_after_dp");
  EXPECT_EQ(library_rule("--world 8 --src tp=2,dp=4 --dest tp=4,dp=2,cp=1 --dest-order cp,tp,pp,dp"), "");
}

TEST(Cli, ValidLayoutPrintsPlanJsonWithAudit) {
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 --batch 8");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["direction"], "fan_in");
  EXPECT_EQ(j["slices"]["2"], nlohmann::json({4, 4}));
  EXPECT_EQ(j["audit"]["ok"], true);
}

TEST(Cli, NonCanonicalOrderIsReportedAsMisrouted) {
  // semantics §7: src [dp, tp] with dest [tp, dp], TP2/DP4 -> TP4/DP2: rank 2 receives samples 8-15.
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=4,dp=2 --src-order dp,tp --dest-order tp,dp --batch 8");
  ASSERT_EQ(r.code, 0) << r.err;
  auto a = nlohmann::json::parse(r.out)["audit"];
  EXPECT_EQ(a["ok"], false);
  EXPECT_EQ(a["first_misrouted"]["rank"], 2);
  EXPECT_EQ(a["first_misrouted"]["receives"], nlohmann::json({8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(a["first_misrouted"]["owns"], nlohmann::json({0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(Cli, TableFormatIsForPeople) {
  auto r = run_cli("--world 8 --src tp=4,dp=2 --dest tp=1,cp=2,dp=4 --batch 8 --format table");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("direction fan_out, scale 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gather groups (concatenation order): [0 2] [1 3] [4 6] [5 7]"), std::string::npos) << r.out;
}

TEST(Cli, BadFlagsExit2WithUsage) {
  for (const char* args : {"", "--world 8", "--world x --src tp=1,dp=8 --dest tp=1,dp=8",
                           "--world 8 --src tp=1,dp=8 --dest tp=1,dp=8 --bogus 1",
                           "--world 8 --src tp=1,dp=8 --dest tp=1,dp=8 --format xml",
                           "--world 8 --src tp=one,dp=8 --dest tp=1,dp=8", "--world 8 --src tp=1,dp=8 --dest"}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_NE(r.err.find("usage: bridge-plan"), std::string::npos) << args << ": " << r.err;
  }
}

// Issue 20 P16: a stray word is named as such, not as "a flag that needs a value"; B50: a
// 100,000-character value is cut in the message, its length said.
TEST(Cli, StrayPositionalIsNamed) {
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=4,dp=2 stray");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("error: bad_flag: unexpected argument 'stray': bridge-plan takes only flags"), std::string::npos) << r.err;
  r = run_cli("--world 8 stray --src tp=2,dp=4 --dest tp=4,dp=2");
  EXPECT_NE(r.err.find("unexpected argument 'stray'"), std::string::npos) << r.err;
}

TEST(Cli, HugeValueIsCutInTheMessage) {
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=4,dp=2 --format " + std::string(100000, 'x'));
  EXPECT_EQ(r.code, 2);
  r = run_cli("--world 8 --src tp=2,dp=" + std::string(100000, '9') + " --dest tp=4,dp=2");
  EXPECT_EQ(r.code, 2);
  const std::string first = r.err.substr(0, r.err.find('\n'));
  EXPECT_LT(first.size(), 600u) << first.substr(0, 600);
  EXPECT_NE(first.find(" characters)"), std::string::npos) << first.substr(0, 600);
}

// Issue 12: sizes are parsed in 64 bits and range-checked; the plan costs what its ranks cost.
TEST(Cli, WorldBeyond32BitsIsTooLargeNotWrapped) {
  auto r = run_cli("--world 4294967304 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: too_large: --world is 4294967304", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, OffsetBeyond32BitsIsTooLargeNotNegative) {
  auto r = run_cli("--world 8 --offset 2147483648 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: too_large: --offset is 2147483648", 0), 0u) << r.err;
}

TEST(Cli, DimSizeBeyond32BitsIsTooLarge) {
  auto r = run_cli("--world 8 --src tp=4294967298,dp=4 --dest tp=2,cp=2,dp=2");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: too_large: size of 'tp' is 4294967298", 0), 0u) << r.err;
}

TEST(Cli, HugeBatchCostsWhatTheRanksCost) {
  // Before: 16+ GB for --batch 1000000000 (every sample id listed per rank). Now ranges.
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 --batch 1099511627776");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["audit"]["ok"], true);
  EXPECT_EQ(j["slices"]["2"], nlohmann::json({549755813888LL, 549755813888LL}));
}

TEST(Cli, MisrouteAtAHugeBatchIsListedTruncated) {
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=4,dp=2 --src-order dp,tp --dest-order tp,dp "
                   "--batch 1000000000");
  ASSERT_EQ(r.code, 0) << r.err;
  auto m = nlohmann::json::parse(r.out)["audit"]["first_misrouted"];
  EXPECT_EQ(m["rank"], 2);
  EXPECT_EQ(m["truncated"], true);
  ASSERT_EQ(m["receives"].size(), size_t(bb::kMisrouteListed));
  EXPECT_EQ(m["receives"][0], 1000000000LL);
  EXPECT_EQ(m["owns"][0], 0);
}

TEST(Cli, SampleIdsBeyond64BitsAreTooLarge) {
  // Before: bad_alloc. src dp=4 x batch 2^62 global sample ids do not fit in int64.
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 --batch 4611686018427387904");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: too_large: ", 0), 0u) << r.err;
}

TEST(Cli, BatchBeyond64BitsIsTooLarge) {
  auto r = run_cli("--world 8 --src tp=2,dp=4 --dest tp=2,cp=2,dp=2 --batch 99999999999999999999");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: too_large: --batch is 99999999999999999999", 0), 0u) << r.err;
}

// --- run-time bad input --------------------------------------------------------------------

std::string run_rule(const bbtest::Layout& l, const bb::BridgeShape& sh, int world_override = 0) {
  bb::Plan plan = bbtest::plan_of(l);
  bb::LaunchOptions lo;
  lo.backend = "host";
  lo.world = world_override ? world_override : l.world;
  lo.timeout_s = 10;
  try {
    bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
      bb::CommCache comms(world);
      bb::RunOptions ro;
      ro.time = false;
      bb::run_round_trip(plan, sh, *bb::make_strategy("reference"), comms, dev, ro);
    });
  } catch (const bb::Error& e) {
    EXPECT_GT(std::string(e.what()).size(), 20u) << "messages say what is wrong";
    return e.rule();
  }
  return "";
}

const bbtest::Layout kFanOut{8, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 2}, {"dp", 4}}};

bb::BridgeShape small(int64_t b, int64_t s, int64_t h) {
  bb::BridgeShape sh;
  sh.b = b;
  sh.s = s;
  sh.h = h;
  return sh;
}

TEST(RunTimeInput, BatchNotDivisibleByScale) { EXPECT_EQ(run_rule(kFanOut, small(3, 8, 4)), "batch_not_divisible"); }
TEST(RunTimeInput, SequenceNotDivisibleBy2Cp) { EXPECT_EQ(run_rule(kFanOut, small(2, 6, 4)), "seq_not_divisible"); }
TEST(RunTimeInput, WorldDoesNotMatchGrids) { EXPECT_EQ(run_rule(kFanOut, small(2, 8, 4), 4), "world_mismatch"); }
TEST(RunTimeInput, BadShape) { EXPECT_EQ(run_rule(kFanOut, small(2, 8, 0), 0), "bad_shape"); }
TEST(RunTimeInput, BuffersThatDoNotFitAreRefusedBeforeAllocating) {
  // About 8 ranks x 6 buffers x 2 TiB: checked against available memory before any allocation.
  EXPECT_EQ(run_rule(kFanOut, small(2, 1 << 20, 1 << 19)), "out_of_memory_budget");
}
TEST(RunTimeInput, GraphModeNeedsAStreamOrderedBackend) {
  bb::Plan plan = bbtest::plan_of(kFanOut);
  std::string rule;
  bb::LaunchOptions lo;
  lo.world = 8;
  try {
    bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
      bb::CommCache comms(world);
      bb::RunOptions ro;
      ro.graph = true;
      ro.iterations = 1;
      bb::run_round_trip(plan, small(2, 8, 4), *bb::make_strategy("fused"), comms, dev, ro);
    });
  } catch (const bb::Error& e) {
    rule = e.rule();
  }
  EXPECT_EQ(rule, "graph_unsupported");
}

TEST(RunTimeInput, UnknownStrategyDtypeMemOrder) {
  EXPECT_THROW(bb::make_strategy("fastest"), bb::Error);
  EXPECT_THROW(bb::parse_dtype("fp8"), bb::Error);
  EXPECT_THROW(bb::parse_mem_order("hsb"), bb::Error);
}

}  // namespace
