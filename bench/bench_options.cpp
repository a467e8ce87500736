#include "bench_options.hpp"

#include <sstream>

#include "bridge/strategy.hpp"

namespace bb {

const char* kBenchUsage =
    "usage: bridge_bench [options] [--benchmark_* flags]\n"
    "  --backend=auto|host|emulate|nccl   default auto: nccl with >= 2 GPUs, emulate with 1, host with none\n"
    "  --world=8[,16]                     world size(s) for --layouts=all (seed layouts are 8 ranks)\n"
    "  --layouts=seeds|all|NAME,..|FILE.json\n"
    "  --shapes=BxSxH[,..]                encoder batch per rank x image tokens x hidden\n"
    "  --mem=bsh,sbh  --dtypes=bf16,fp16,fp32  --strategies=reference,fused\n"
    "  --iters=20 --warmup=5  --mode=timed|graph|profile  --cupti=auto|on|off\n"
    "  --cadence=isolated|streaming       isolated (default): GPUs aligned before every iteration, every\n"
    "                                     launch queued first; streaming: aligned once, back to back\n"
    "  --inject-delay=RANK:MS             fault injection: world rank RANK launches each iteration MS late\n"
    "                                     graph: replay each round trip as a CUDA graph (nccl backend)\n"
    "                                     profile: one timed round trip per config, for nsys\n"
    "  --json=PATH (results JSON, written atomically)  --timeout=120 (seconds per collective)\n"
    "  --collectives=on|off               also time each layout's bare collectives (default on)\n"
    "  --nccl-path=default|registered|symmetric|zero-cta[,..]|all   NCCL's buffer/CTA paths (nccl backend)\n"
    "  --contention=none|gemm[,..]        gemm: time every config again beside a cuBLAS bf16 GEMM per GPU\n";

static std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) v.push_back(x);
  if (v.empty()) throw Error("bad_flag", "empty list");
  return v;
}

static int to_int(const std::string& flag, const std::string& v, int lo) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size() && n >= lo) return n;
  } catch (...) {
  }
  throw Error("bad_flag", flag + " needs an integer >= " + std::to_string(lo) + ", got '" + v + "'");
}

bool BenchOptions::given(const std::string& f) const {
  for (const auto& e : explicit_flags)
    if (e == f) return true;
  return false;
}

BenchOptions parse_bench_options(int* argc, char** argv) {
  BenchOptions o;
  for (int i = 0; i < *argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--benchmark_", 0) == 0 || a.rfind("--", 0) != 0) {
      argv[out++] = argv[i];
      continue;
    }
    if (a == "--help" || a == "-h") throw Error("help", "");
    auto eq = a.find('=');
    std::string f = a.substr(0, eq), v;
    if (eq != std::string::npos) {
      v = a.substr(eq + 1);
    } else if (i + 1 < *argc) {
      v = argv[++i];
    } else {
      throw Error("bad_flag", "flag '" + f + "' needs a value");
    }
    o.explicit_flags.push_back(f);
    if (f == "--backend") {
      if (v != "auto" && v != "host" && v != "emulate" && v != "nccl")
        throw Error("bad_flag", "--backend is auto, host, emulate or nccl");
      o.backend = v;
    } else if (f == "--world") {
      o.worlds.clear();
      for (const auto& w : split(v)) o.worlds.push_back(to_int(f, w, 1));
    } else if (f == "--layouts") {
      o.layouts = v;
    } else if (f == "--shapes") {
      parse_shapes(v);
      o.shapes = v;
    } else if (f == "--mem") {
      o.mems.clear();
      for (const auto& m : split(v)) o.mems.push_back(parse_layout(m));
    } else if (f == "--dtypes") {
      o.dtypes.clear();
      for (const auto& d : split(v)) o.dtypes.push_back(parse_dtype(d));
    } else if (f == "--strategies") {
      o.strategies = split(v);
      for (const auto& s : o.strategies) make_strategy(s);
    } else if (f == "--iters") {
      o.iterations = to_int(f, v, 1);
    } else if (f == "--warmup") {
      o.warmup = to_int(f, v, 0);
    } else if (f == "--mode") {
      if (v != "timed" && v != "graph" && v != "profile") throw Error("bad_flag", "--mode is timed, graph or profile");
      o.mode = v;
    } else if (f == "--cadence") {
      o.cadence = parse_cadence(v);
    } else if (f == "--inject-delay") {
      const auto colon = v.find(':');
      if (colon == std::string::npos) throw Error("bad_flag", "--inject-delay is RANK:MS, got '" + v + "'");
      o.delay_rank = to_int(f, v.substr(0, colon), 0);
      try {
        o.delay_ms = std::stod(v.substr(colon + 1));
      } catch (...) {
        o.delay_ms = -1;
      }
      if (!(o.delay_ms >= 0 && o.delay_ms <= 10000)) throw Error("bad_flag", "--inject-delay needs 0 <= MS <= 10000, got '" + v + "'");
    } else if (f == "--cupti") {
      if (v != "auto" && v != "on" && v != "off") throw Error("bad_flag", "--cupti is auto, on or off");
      o.cupti = v;
    } else if (f == "--json") {
      o.json_out = v;
    } else if (f == "--timeout") {
      o.timeout_s = to_int(f, v, 1);
    } else if (f == "--collectives") {
      if (v != "on" && v != "off") throw Error("bad_flag", "--collectives is on or off");
      o.collectives = v == "on";
    } else if (f == "--nccl-path") {
      o.nccl_paths = parse_nccl_paths(v);
    } else if (f == "--contention") {
      o.contentions = parse_contentions(v);
    } else {
      throw Error("bad_flag", "unknown flag '" + f + "'");
    }
  }
  *argc = out;
  argv[out] = nullptr;
  if (o.mode == "graph" && o.cadence != Cadence::isolated)
    throw Error("bad_flag", "--mode=graph replays re-record one set of marks per graph: it needs --cadence=isolated");
  if (o.backend == "host" || o.backend == "emulate") {  // auto is checked once resolved (check_bench_paths)
    for (NcclPath p : o.nccl_paths) check_nccl_path(p, o.backend);
    for (Contention c : o.contentions)
      if (c == Contention::gemm) throw Error("bad_flag", "--contention=gemm needs the nccl backend, not " + o.backend);
  }
  if (o.mode == "profile") {
    o.iterations = 1;
    if (o.cupti == "on") throw Error("bad_flag", "--mode=profile runs under nsys, which needs CUPTI: use --cupti=off");
    o.cupti = "off";
  }
  return o;
}

}  // namespace bb
