// bridge-plan: prints the bridge plan (semantics §8 JSON plus a layout audit) or a table for
// people. Exit 0 on success, 2 on an invalid layout (`error: <rule-id>: <message>`) or bad flags.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "core/checked.hpp"
#include "plan/audit.hpp"
#include "plan/grid.hpp"
#include "plan/layout_arg.hpp"
#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "predict.hpp"

namespace {

const char* kUsage =
    "usage: bridge-plan --world N [--offset K] [--dest-offset K] --src tp=2,dp=4 --dest tp=2,cp=2,dp=2\n"
    "                   [--src-order tp,cp,pp,dp] [--dest-order tp,cp,pp,dp] [--batch B]\n"
    "                   [--format json|table]\n"
    "       bridge-plan --predict (the flags above) [--seq 4096] [--hidden 4096] [--mem bsh|sbh]\n"
    "                   [--dtype bf16|fp16|fp32] [--gpus-per-node 8] [--medium nodes|shared|socket]\n"
    "                   [--calibration RESULTS.json|NCCL_TESTS.txt|NCCL_TESTS.json|FOLDER]\n";

struct Args {
  int world = -1, offset = 0;
  std::optional<int> dest_offset;  // defaults to --offset
  std::string src, dest, src_order = "tp,cp,pp,dp", dest_order = "tp,cp,pp,dp", format = "json";
  std::optional<int64_t> batch;
  bool predict = false;
  std::map<std::string, std::string> model;  // the --predict flags, by name
};

// Flags that only --predict reads (the cost model's shape, topology and calibration).
const std::vector<std::string> kModelFlags{"--seq", "--hidden", "--mem", "--dtype", "--gpus-per-node", "--medium",
                                           "--calibration"};


std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s;
}

void print_table(const bb::Plan& p, std::optional<int64_t> batch, const bb::Audit& a) {
  std::printf("direction %s, scale %d: src tp=%d dp=%d -> dest tp=%d cp=%d dp=%d, ranks %d..%d of %d\n",
              bb::direction_name(p.direction), p.scale, p.src_tp, p.src_dp, p.dest_tp, p.dest_cp,
              p.dest_dp, p.offset(), p.offset() + p.size() - 1, p.world);
  std::printf("\n%6s  %-12s  %-16s  %-14s  %-10s  %s\n", "rank", "src (dp,tp)", "dest (dp,tp,cp)",
              "gathers with", "cp group", batch ? "slice (batch rows)" : "");
  for (int r = p.offset(); r < p.offset() + p.size(); ++r) {
    const auto* g = p.gather_group_of(r);
    const auto* c = p.cp_group_of(r);
    std::string sl;
    if (batch) {
      bb::Slice s = p.slice(r, *batch);
      sl = "[" + std::to_string(s.start) + "," + std::to_string(s.start + s.size) + ")";
    }
    char src[32], dst[32];
    std::snprintf(src, sizeof src, "(%d,%d)", p.src_of(r).dp, p.src_of(r).tp);
    std::snprintf(dst, sizeof dst, "(%d,%d,%d)", p.dest_of(r).dp, p.dest_of(r).tp, p.dest_of(r).cp);
    std::printf("%6d  %-12s  %-16s  %-14s  %-10s  %s\n", r, src, dst, g ? join(*g).c_str() : "-",
                c ? join(*c).c_str() : "-", sl.c_str());
  }
  std::printf("\ngather groups (concatenation order):");
  if (p.gather_groups.empty()) std::printf(" none (equal DP: identity)");
  for (const auto& g : p.gather_groups) std::printf(" [%s]", join(g).c_str());
  std::printf("\ncp groups:");
  if (p.cp_groups.empty()) std::printf(" none (dest cp=1)");
  for (const auto& g : p.cp_groups) std::printf(" [%s]", join(g).c_str());
  std::printf("\naudit (src batch %lld): %s\n", (long long)a.src_batch, a.summary.c_str());
  if (a.first) {
    std::vector<int> rec(a.first->receives.begin(), a.first->receives.end());
    std::vector<int> own(a.first->owns.begin(), a.first->owns.end());
    std::printf("  first misrouted: rank %d receives samples [%s] but its replica owns [%s]\n",
                a.first->rank, join(rec).c_str(), join(own).c_str());
  }
}

// 64-bit, range-checked: --world 4294967304 is too_large, never a wrapped world of 8. A
// negative offset parses, so the grid names it (bad_layout); a batch < 1 is bad_batch.
void set_number(Args& a, const std::string& f, const std::string& v) {
  if (f == "--world") a.world = int(bb::parse_int64(v, 1, bb::kMaxRanks, "--world"));
  else if (f == "--offset") a.offset = int(bb::parse_int64(v, -bb::kMaxRanks, bb::kMaxRanks, "--offset"));
  else if (f == "--dest-offset") a.dest_offset = int(bb::parse_int64(v, -bb::kMaxRanks, bb::kMaxRanks, "--dest-offset"));
  else a.batch = bb::parse_int64(v, INT64_MIN, INT64_MAX, "--batch");
}

// The flags, or Error("bad_flag") (printed with the usage), Error("too_large"), Error("help").
Args parse_args(int argc, char** argv) {
  Args a;
  const std::map<std::string, std::string*> str_flags{{"--src", &a.src},
                                                      {"--dest", &a.dest},
                                                      {"--src-order", &a.src_order},
                                                      {"--dest-order", &a.dest_order},
                                                      {"--format", &a.format}};
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i], v;
    if (f == "-h" || f == "--help") throw bb::Error("help", "");
    if (f == "--predict") {
      a.predict = true;
      continue;
    }
    if (f.rfind("--", 0) != 0)
      throw bb::Error("bad_flag", "unexpected argument '" + f + "': bridge-plan takes only flags (--flag VALUE or --flag=VALUE)");
    const auto eq = f.find('=');
    if (eq != std::string::npos) {
      v = f.substr(eq + 1);
      f = f.substr(0, eq);
    } else {
      if (i + 1 >= argc) throw bb::Error("bad_flag", "flag '" + f + "' needs a value");
      v = argv[++i];
    }
    if (str_flags.count(f)) *str_flags.at(f) = v;
    else if (f == "--world" || f == "--offset" || f == "--dest-offset" || f == "--batch") set_number(a, f, v);
    else if (std::find(kModelFlags.begin(), kModelFlags.end(), f) != kModelFlags.end()) a.model[f] = v;
    else throw bb::Error("bad_flag", "unknown flag '" + f + "'");
  }
  if (a.world < 1) throw bb::Error("bad_flag", "--world N (N >= 1) is required");
  if (a.src.empty() || a.dest.empty()) throw bb::Error("bad_flag", "--src and --dest are required");
  if (a.format != "json" && a.format != "table") throw bb::Error("bad_flag", "--format is json or table");
  if (!a.predict && !a.model.empty())
    throw bb::Error("bad_flag", "'" + a.model.begin()->first + "' is a --predict flag; add --predict");
  if (a.predict && a.dest_offset && *a.dest_offset != a.offset)
    throw bb::Error("bad_flag", "--predict takes one --offset for both grids (a --dest-offset that differs is offset_mismatch)");
  return a;
}

void print_plan(const Args& a) {
  bb::Grid src = bb::make_grid(bb::parse_sizes(a.src), bb::parse_order(a.src_order), a.offset);
  bb::Grid dest = bb::make_grid(bb::parse_sizes(a.dest), bb::parse_order(a.dest_order), a.dest_offset.value_or(a.offset));
  bb::Plan p = bb::make_plan(a.world, src, dest);
  if (a.batch) bb::check_batch(p, *a.batch);
  const int64_t b = a.batch ? bb::src_batch_for(p, *a.batch) : bb::unit_src_batch(p);
  const bb::Audit audit = bb::audit_plan(p, b);
  if (a.format == "table") {
    print_table(p, a.batch, audit);
    return;
  }
  auto j = bb::plan_to_json(p, a.batch);
  j["audit"] = bb::audit_to_json(audit);
  std::cout << j.dump(1) << "\n";
}

}  // namespace

// The --predict request from the flags (numbers range-checked: too_large, bad_flag).
bb::PredictRequest predict_request(const Args& a) {
  bb::PredictRequest r;
  r.layout.world = a.world;
  r.layout.offset = a.offset;
  r.layout.src = bb::parse_sizes(a.src);
  r.layout.dest = bb::parse_sizes(a.dest);
  r.layout.src_order = bb::parse_order(a.src_order);
  r.layout.dest_order = bb::parse_order(a.dest_order);
  if (a.batch) {
    if (*a.batch < 1) throw bb::Error("bad_batch", "--batch is " + std::to_string(*a.batch) + "; it must be at least 1");
    r.batch = *a.batch;
  }
  r.format = a.format;
  for (const auto& [f, v] : a.model) {
    if (f == "--seq") r.seq = bb::parse_int64(v, 1, INT64_MAX, f);
    else if (f == "--hidden") r.hidden = bb::parse_int64(v, 1, INT64_MAX, f);
    else if (f == "--gpus-per-node") r.gpus_per_node = int(bb::parse_int64(v, 1, bb::kMaxRanks, f));
    else if (f == "--mem") r.mem = v;
    else if (f == "--dtype") r.dtype = v;
    else if (f == "--medium") r.medium = v;
    else r.calibration = v;
  }
  return r;
}

int main(int argc, char** argv) {
  try {
    const Args a = parse_args(argc, argv);
    if (a.predict) bb::print_prediction(predict_request(a));
    else print_plan(a);
  } catch (const bb::Error& e) {
    if (e.rule() == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "error: " << e.rule() << ": " << bb::clip_long_words(e.what()) << "\n";
    if (e.rule() == "bad_flag") std::cerr << kUsage;
    return 2;
  }
  return 0;
}
