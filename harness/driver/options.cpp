#include "driver/options.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

#include "bridge/strategy.hpp"
#include "config/axes.hpp"
#include "config/sweep.hpp"
#include "comm/backend.hpp"
#include "core/checked.hpp"

namespace bb {

namespace {

const char* kFlagsUsage =
    "usage: bridge_bench [options] [--benchmark_* flags]\n"
    "  --backend=auto|@BACKENDS@   default auto: nccl with >= 2 GPUs, emulate with 1, host with none\n"
    "  --world=N                          world size (default 8, or the sweep file's \"world\")\n"
    "  --layouts=seeds|all|NAME,..|FILE.json\n"
    "  --shapes=BxSxH[,..]                encoder batch per rank x image tokens x hidden\n"
    "@AXES@"
    "  --iters=20 --warmup=5  --mode=timed|graph|profile  --cupti=auto|on|off\n"
    "  --cadence=isolated|streaming       isolated (default): GPUs aligned before every iteration, every\n"
    "                                     launch queued first; streaming: aligned once, back to back\n"
    "                                     graph: replay each round trip as a CUDA graph (nccl backend)\n"
    "                                     profile: one timed round trip per config, for nsys\n"
    "  --inject-delay=RANK:MS[:EVERY]     fault injection: world rank RANK launches each iteration MS late\n"
    "                                     (with EVERY, only iterations 0, EVERY, 2*EVERY, ...: 2 alternates\n"
    "                                     delayed and undelayed iterations within one run)\n"
    "  --test-phase-delay=PHASE:PCT       test-only planted slowdown: every bridge rank's device is held\n"
    "                                     PCT% (0 < PCT <= 100) of PHASE's warm-up median inside PHASE\n"
    "  --json=PATH (results JSON, written atomically)  --timeout=120 (seconds per collective)\n"
    "  --collectives=on|off               also time each layout's bare collectives (default on)\n"
    "  --max-configs=10000                refuse a larger sweep (counted before anything runs)\n"
    "  --contention=none|gemm[,..]        gemm: time every config again beside a cuBLAS bf16 GEMM per GPU\n"
    "  --dump-tensors=DIR                 test-only, host backend: each rank's checked tensors of every config\n"
    "                                     as raw files under DIR/<config id>/ (run/tensor_dump.hpp)\n"
    "Bad input exits 2 with 'error: <rule>: <message>' before any config runs (docs/bad-input.md).\n";

// "a|b|c" of a table's names, for the usage text (which names no row by hand).
template <class Rows>
std::string bar_list(const Rows& rows) {
  std::string s;
  for (const auto& r : rows) s += (s.empty() ? "" : "|") + std::string(r.name);
  return s;
}

std::string replaced(std::string s, const std::string& token, const std::string& by) {
  return s.replace(s.find(token), token.size(), by);
}

}  // namespace

std::string bench_usage() {
  std::string axes;  // the axis table's flags (config/axes.hpp), one line each
  for (const Axis& a : axis_table()) {
    if (a.flag.empty()) continue;
    std::string flag = "  " + a.flag + "=" + a.usage;
    flag.resize(std::max(flag.size() + 1, size_t(37)), ' ');  // the help column of the lines around it
    axes += flag + a.help + "\n";
  }
  std::string u = replaced(replaced(kFlagsUsage, "@BACKENDS@", bar_list(backends())), "@AXES@", axes);
  u += "strategies:\n";
  for (const auto& n : strategy_names()) {
    char line[64];
    std::snprintf(line, sizeof line, "  %-34s ", n.c_str());
    u += line + make_strategy(n)->description() + "\n";
  }
  return u;
}

namespace {


int to_int(const std::string& flag, const std::string& v, int lo, int64_t hi = 1000000000) {
  return int(parse_int64(v, lo, hi, flag));
}

}  // namespace

bool BenchOptions::given(const std::string& f) const {
  for (const auto& e : explicit_flags)
    if (e == f) return true;
  return false;
}

namespace {

// One row per flag: what it sets from its value. Every value is parsed here, once.
using FlagSetter = void (*)(BenchOptions&, const std::string& flag, const std::string& value);
struct FlagRow {
  const char* flag;
  FlagSetter set;
};

CuptiMode parse_cupti(const std::string& v) {
  if (v == "auto") return CuptiMode::automatic;
  if (v == "on" || v == "off") return v == "on" ? CuptiMode::on : CuptiMode::off;
  throw Error("bad_flag", "--cupti is auto, on or off");
}

void set_delay(BenchOptions& o, const std::string& f, const std::string& v) {
  const auto colon = v.find(':');
  if (colon == std::string::npos) throw Error("bad_flag", "--inject-delay is RANK:MS[:EVERY], got '" + v + "'");
  o.delay_rank = to_int(f, v.substr(0, colon), 0);
  const auto second = v.find(':', colon + 1);
  const std::string ms = v.substr(colon + 1, second == std::string::npos ? std::string::npos : second - colon - 1);
  size_t used = 0;
  try {
    o.delay_ms = std::stod(ms, &used);
  } catch (...) {
    o.delay_ms = -1;
  }
  if (used != ms.size() || !(o.delay_ms >= 0 && o.delay_ms <= 10000))
    throw Error("bad_flag", "--inject-delay needs 0 <= MS <= 10000, got '" + v + "'");
  o.delay_every = second == std::string::npos ? 1 : to_int(f, v.substr(second + 1), 1, 1000);
}

void set_fault(BenchOptions& o, const std::string& f, const std::string& v) {
  const auto a = v.find(':'), b = a == std::string::npos ? a : v.find(':', a + 1);
  const std::string kind = v.substr(0, a);
  if (b == std::string::npos || (kind != "throw" && kind != "hang"))
    throw Error("bad_flag", f + " is throw:RANK:CONFIG or hang:RANK:CONFIG, got '" + v.substr(0, 80) + "'");
  o.fault_kind = kind;
  o.fault_rank = to_int(f, v.substr(a + 1, b - a - 1), 0);
  o.fault_config = to_int(f, v.substr(b + 1), 1);
  if (kind == "hang" && o.fault_rank == 0)
    throw Error("bad_flag", f + "=hang needs a rank other than 0 (rank 0 drives the sweep; its peers are the ones left waiting)");
}

const std::vector<FlagRow>& flag_table() {
  static const std::vector<FlagRow> rows{
      {"--backend", [](BenchOptions& o, const std::string&, const std::string& v) {
         if (v != "auto") try {
             backend_traits(v);
           } catch (const Error&) {
             std::string names = "auto";  // "auto, host, emulate or nccl": the backend table's rows
             for (size_t i = 0; i < backends().size(); ++i)
               names += (i + 1 == backends().size() ? " or " : ", ") + std::string(backends()[i].name);
             throw Error("bad_flag", "--backend is " + names);
           }
         o.backend = v;
       }},
      {"--world", [](BenchOptions& o, const std::string& f, const std::string& v) {
         if (v.find(',') != std::string::npos)
           throw Error("bad_flag", "--world takes one size per run (got '" + v + "'): run once per world");
         o.world = to_int(f, v, 1, kMaxRanks);
       }},
      {"--layouts", [](BenchOptions& o, const std::string&, const std::string& v) { o.layouts = v; }},
      {"--shapes", [](BenchOptions& o, const std::string&, const std::string& v) { o.shapes = parse_shapes(v); }},
      {"--iters", [](BenchOptions& o, const std::string& f, const std::string& v) { o.iterations = to_int(f, v, 1, 1000000); }},
      {"--warmup", [](BenchOptions& o, const std::string& f, const std::string& v) { o.warmup = to_int(f, v, 0, 1000000); }},
      {"--mode", [](BenchOptions& o, const std::string&, const std::string& v) { o.mode = parse_run_mode(v); }},
      {"--cadence", [](BenchOptions& o, const std::string&, const std::string& v) { o.cadence = parse_cadence(v); }},
      {"--inject-delay", set_delay},
      {"--inject-fault", set_fault},
      {"--test-phase-delay", [](BenchOptions& o, const std::string& f, const std::string& v) {
         o.phase_delay = parse_phase_delay(f, v);
       }},
      {"--cupti", [](BenchOptions& o, const std::string&, const std::string& v) { o.cupti = parse_cupti(v); }},
      {"--json", [](BenchOptions& o, const std::string&, const std::string& v) { o.json_out = v; }},
      {"--timeout", [](BenchOptions& o, const std::string& f, const std::string& v) { o.timeout_s = to_int(f, v, 1, 86400); }},
      {"--max-configs", [](BenchOptions& o, const std::string& f, const std::string& v) {
         o.max_configs = parse_int64(v, 1, INT64_MAX, f);
       }},
      {"--collectives", [](BenchOptions& o, const std::string&, const std::string& v) {
         if (v != "on" && v != "off") throw Error("bad_flag", "--collectives is on or off");
         o.collectives = v == "on";
       }},
      {"--contention", [](BenchOptions& o, const std::string&, const std::string& v) { o.contentions = parse_contentions(v); }},
      {"--link-bandwidth", [](BenchOptions& o, const std::string& f, const std::string& v) {
         // The collective floors' GB/s per direction per GPU, for a link the suite cannot know
         // (NET/IB, sockets); without it such floors are null, never NVLink's.
         o.link_GBps = double(parse_int64(v, 1, 100000, f));
       }},
      {"--dump-tensors", [](BenchOptions& o, const std::string&, const std::string& v) {
         if (v.empty()) throw Error("bad_flag", "--dump-tensors needs a directory");
         o.dump_dir = v;
       }},
  };
  return rows;
}

// What no single flag can say: combinations, and what a named backend cannot have (auto is
// checked once resolved: driver/paths.hpp check_bench_paths).
void check_combinations(BenchOptions& o) {
  if (o.mode == RunMode::graph && o.cadence != Cadence::isolated)
    throw Error("bad_flag", "--mode=graph replays re-record one set of marks per graph: it needs --cadence=isolated");
  // A graph is captured before the warm-up that sizes the delay: it could never hold it.
  if (o.mode == RunMode::graph && o.phase_delay.on())
    throw Error("bad_flag", "--test-phase-delay needs eager launches: --mode=graph captures each round trip "
                            "before the warm-up that sizes the delay");
  if (o.backend != "auto" && !backend_traits(o.backend).over_links) {
    for (NcclPath p : o.nccl_paths) check_nccl_path(p, o.backend);
    for (Contention c : o.contentions)
      if (c == Contention::gemm) throw Error("bad_flag", "--contention=gemm needs the nccl backend, not " + o.backend);
  }
  // The dump reads each rank's buffers as host memory: only the host simulation has them there.
  if (!o.dump_dir.empty() && (o.backend == "auto" || backend_traits(o.backend).gpu))
    throw Error("bad_flag", "--dump-tensors needs --backend=host (it writes the host simulation's tensors)");
  if (o.mode == RunMode::profile) {
    o.iterations = 1;
    if (o.cupti == CuptiMode::on) throw Error("bad_flag", "--mode=profile runs under nsys, which needs CUPTI: use --cupti=off");
    o.cupti = CuptiMode::off;
  }
}

}  // namespace

BenchOptions parse_bench_options(int* argc, char** argv) {
  BenchOptions o;
  for (int i = 0; i < *argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--benchmark_", 0) == 0 || a.rfind("--", 0) != 0) {
      if (a.rfind("--benchmark_out=", 0) == 0) o.gbench_out = a.substr(16);
      argv[out++] = argv[i];
      continue;
    }
    if (a == "--help" || a == "-h") throw Error("help", "");
    const auto eq = a.find('=');
    const std::string f = a.substr(0, eq);
    std::string v;
    if (eq != std::string::npos) {
      v = a.substr(eq + 1);
    } else if (i + 1 < *argc) {
      v = argv[++i];
    } else {
      throw Error("bad_flag", "flag '" + f + "' needs a value");
    }
    const auto& rows = flag_table();
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const FlagRow& r) { return f == r.flag; });
    const Axis* axis = axis_with_flag(f);
    if (row == rows.end() && !axis) throw Error("bad_flag", "unknown flag '" + f + "'");
    o.explicit_flags.push_back(f);
    if (axis) o.axis_flags[axis->name] = axis->from_flag(v);
    else row->set(o, f, v);
  }
  *argc = out;
  argv[out] = nullptr;
  if (o.axis_flags.count("nccl_path")) {  // typed, for the checks against the backend
    o.nccl_paths.clear();
    for (const auto& name : o.axis_flags["nccl_path"]) o.nccl_paths.push_back(parse_nccl_paths(name).at(0));
  }
  check_combinations(o);
  return o;
}

void check_gbench_flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--benchmark_repetitions", 0) != 0) continue;
    if (a.size() < 25 || a[23] != '=')
      throw Error("bad_flag", "--benchmark_repetitions needs a value: --benchmark_repetitions=N");
    parse_int64(a.substr(24), 1, 1000, "--benchmark_repetitions");
  }
}

void check_filter(const std::string& filter) {
  if (filter.empty() || filter == "all" || filter == ".") return;
  const std::string re = filter[0] == '-' ? filter.substr(1) : filter;
  try {
    std::regex(re, std::regex_constants::extended);
  } catch (const std::regex_error& e) {
    throw Error("bad_flag", "--benchmark_filter='" + filter + "' is not a valid regular expression (" + e.what() + ")");
  }
}

}  // namespace bb
