#include "bench_options.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>

#include "bridge/strategy.hpp"
#include "comm/backend.hpp"
#include "comm/launch.hpp"
#include "core/checked.hpp"

namespace bb {

const char* kBenchUsage =
    "usage: bridge_bench [options] [--benchmark_* flags]\n"
    "  --backend=auto|host|emulate|nccl   default auto: nccl with >= 2 GPUs, emulate with 1, host with none\n"
    "  --world=N                          world size (default 8, or the sweep file's \"world\")\n"
    "  --layouts=seeds|all|NAME,..|FILE.json\n"
    "  --shapes=BxSxH[,..]                encoder batch per rank x image tokens x hidden\n"
    "  --mem=bsh,sbh  --dtypes=bf16,fp16,fp32  --strategies=all|NAME,.. (all, the default: every registered strategy)\n"
    "  --iters=20 --warmup=5  --mode=timed|graph|profile  --cupti=auto|on|off\n"
    "  --cadence=isolated|streaming       isolated (default): GPUs aligned before every iteration, every\n"
    "                                     launch queued first; streaming: aligned once, back to back\n"
    "  --inject-delay=RANK:MS             fault injection: world rank RANK launches each iteration MS late\n"
    "                                     graph: replay each round trip as a CUDA graph (nccl backend)\n"
    "                                     profile: one timed round trip per config, for nsys\n"
    "  --json=PATH (results JSON, written atomically)  --timeout=120 (seconds per collective)\n"
    "  --collectives=on|off               also time each layout's bare collectives (default on)\n"
    "  --max-configs=10000                refuse a larger sweep (counted before anything runs)\n"
    "  --nccl-path=default|registered|symmetric|zero-cta[,..]|all   NCCL's buffer/CTA paths (nccl backend)\n"
    "  --contention=none|gemm[,..]        gemm: time every config again beside a cuBLAS bf16 GEMM per GPU\n"
    "Bad input exits 2 with 'error: <rule>: <message>' before any config runs (docs/bad-input.md).\n";

static std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) v.push_back(x);
  if (v.empty()) throw Error("bad_flag", "empty list");
  return v;
}

static int to_int(const std::string& flag, const std::string& v, int lo, int64_t hi = 1000000000) {
  return int(parse_int64(v, lo, hi, flag));
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
      if (v != "auto") try {
          backend_traits(v);
        } catch (const Error&) {
          throw Error("bad_flag", "--backend is auto, host, emulate or nccl");
        }
      o.backend = v;
    } else if (f == "--world") {
      if (v.find(',') != std::string::npos)
        throw Error("bad_flag", "--world takes one size per run (got '" + v + "'): run once per world");
      o.worlds = {to_int(f, v, 1, kMaxRanks)};
    } else if (f == "--layouts") {
      o.layouts = v;
    } else if (f == "--shapes") {
      parse_shapes(v);
      o.shapes = v;
    } else if (f == "--mem") {
      o.mems.clear();
      for (const auto& m : split(v)) o.mems.push_back(parse_mem_order(m));
    } else if (f == "--dtypes") {
      o.dtypes.clear();
      for (const auto& d : split(v)) o.dtypes.push_back(parse_dtype(d));
    } else if (f == "--strategies") {
      o.strategies = v == "all" ? strategy_names() : split(v);
      for (const auto& s : o.strategies) make_strategy(s);
    } else if (f == "--iters") {
      o.iterations = to_int(f, v, 1, 1000000);
    } else if (f == "--warmup") {
      o.warmup = to_int(f, v, 0, 1000000);
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
      o.timeout_s = to_int(f, v, 1, 86400);
    } else if (f == "--max-configs") {
      o.max_configs = parse_int64(v, 1, INT64_MAX, f);
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
  if (o.backend != "auto" && !backend_traits(o.backend).over_links) {  // auto: checked once resolved (check_bench_paths)
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

GbenchFlags inspect_gbench_flags(int argc, char** argv) {
  GbenchFlags g;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--benchmark_repetitions", 0) == 0) {
      if (a.size() < 25 || a[23] != '=')
        throw Error("bad_flag", "--benchmark_repetitions needs a value: --benchmark_repetitions=N");
      g.repetitions = int(parse_int64(a.substr(24), 1, 1000, "--benchmark_repetitions"));
    } else if (a == "--benchmark_list_tests" || a == "--benchmark_list_tests=true" || a == "--benchmark_list_tests=1") {
      g.list_tests = true;
    } else if (a == "--benchmark_list_tests=false" || a == "--benchmark_list_tests=0") {
      g.list_tests = false;
    }
  }
  return g;
}

static std::regex gbench_regex(const std::string& f) { return std::regex(f, std::regex_constants::extended); }

void check_filter(const std::string& filter) {
  if (filter.empty() || filter == "all" || filter == ".") return;
  const std::string re = filter[0] == '-' ? filter.substr(1) : filter;
  try {
    gbench_regex(re);
  } catch (const std::regex_error& e) {
    throw Error("bad_flag", "--benchmark_filter='" + filter + "' is not a valid regular expression (" + e.what() + ")");
  }
}

bool filter_matches(const std::string& name, const std::string& filter) {
  if (filter.empty() || filter == "all" || filter == ".") return true;
  const bool neg = filter[0] == '-';
  const bool hit = std::regex_search(name, gbench_regex(neg ? filter.substr(1) : filter));
  return neg ? !hit : hit;
}

SweepRequest build_sweep(const BenchOptions& opt, const LaunchEnv& env, bool gpu) {
  SweepRequest req;
  const bool file = opt.layouts.size() > 5 && opt.layouts.substr(opt.layouts.size() - 5) == ".json";
  SweepAxes from_file;
  if (file) from_file = load_sweep_file(opt.layouts);
  // Who sets the world, in order of authority: the launcher, --world, the sweep file.
  auto mismatch = [](const std::string& a, int x, const std::string& b, int y) {
    return Error("world_mismatch", a + " is " + std::to_string(x) + " but " + b + " is " + std::to_string(y) +
                                       " (make them agree, or leave one out)");
  };
  const bool flag = opt.given("--world");
  const int flag_world = opt.worlds.at(0);
  if (env.multi_process()) {
    req.world = env.size;
    if (flag && flag_world != env.size) throw mismatch("--world", flag_world, "the " + env.mode + " world", env.size);
    if (from_file.world && from_file.world != env.size)
      throw mismatch(opt.layouts + "'s \"world\"", from_file.world, "the " + env.mode + " world", env.size);
  } else if (flag) {
    req.world = flag_world;
    if (from_file.world && from_file.world != flag_world)
      throw mismatch(opt.layouts + "'s \"world\"", from_file.world, "--world", flag_world);
  } else {
    req.world = from_file.world ? from_file.world : flag_world;
  }
  req.axes.layouts = file ? from_file.layouts : layouts_from_arg(opt.layouts, req.world);
  for (const auto& l : req.axes.layouts)
    if (l.world != req.world)
      throw Error("world_mismatch", "layout '" + l.name + "' is for " + std::to_string(l.world) +
                                        " ranks but this run has " + std::to_string(req.world) +
                                        " (set --world, or launch that many processes)");
  req.axes.shapes = parse_shapes(!opt.shapes.empty() ? opt.shapes
                                 : gpu ? "1x1024x4096,2x4096x4096,4x8192x4096"
                                       : "2x256x1024,4x1024x1024");
  req.axes.mems = opt.mems;
  req.axes.dtypes = opt.dtypes;
  req.axes.strategies = opt.strategies;
  req.axes.nccl_paths = opt.nccl_paths;
  if (file) {  // the file's axes, unless a flag says otherwise
    if (!opt.given("--shapes")) req.axes.shapes = from_file.shapes;
    if (!opt.given("--mem")) req.axes.mems = from_file.mems;
    if (!opt.given("--dtypes")) req.axes.dtypes = from_file.dtypes;
    if (!opt.given("--strategies")) req.axes.strategies = from_file.strategies;
    if (!opt.given("--nccl-path")) req.axes.nccl_paths = from_file.nccl_paths;  // refused like the flag's
  }
  dedupe_axes(req.axes, &req.notes);
  req.configs = checked_mul(count_configs(req.axes), int64_t(req.axes.nccl_paths.size()), "configs x NCCL paths");
  if (req.configs > opt.max_configs)
    throw Error("too_many_configs", "the sweep has " + std::to_string(req.configs) + " configs (" +
                                        std::to_string(req.axes.layouts.size()) + " layouts x " +
                                        std::to_string(req.axes.shapes.size()) + " shapes x " +
                                        std::to_string(req.axes.mems.size()) + " memory layouts x " +
                                        std::to_string(req.axes.dtypes.size()) + " dtypes x " +
                                        std::to_string(req.axes.strategies.size()) + " strategies x " +
                                        std::to_string(req.axes.nccl_paths.size()) +
                                        " NCCL paths), above --max-configs=" + std::to_string(opt.max_configs) +
                                        ": narrow it, or raise --max-configs");
  if (req.configs == 0) throw Error("nothing_to_run", "the sweep has no configs");
  return req;
}

void check_backend(const BenchOptions& opt, const LaunchEnv& env, const std::string& backend, int gpus) {
  check_backend_for_launch(backend, env);
  const bool gpu = backend_traits(backend).gpu;
  if (gpu && gpus == 0)
#ifdef BB_HAVE_CUDA
    throw Error("no_gpu", "--backend=" + backend + " needs a CUDA GPU and none is usable here (no driver, "
                          "or CUDA_VISIBLE_DEVICES hides them): use --backend=host");
#else
    throw Error("no_gpu", "--backend=" + backend + " needs a CUDA GPU, and this build has no CUDA "
                          "(built with -DBB_WITH_CUDA=OFF or without nvcc): use --backend=host");
#endif
  if (opt.mode == "graph" && !backend_traits(backend).captures_graphs)
    throw Error("graph_unsupported", "--mode=graph needs --backend=nccl (the " + backend +
                                         " backend meets its peers on the host inside a collective)");
  if (opt.cupti == "on" && !gpu)
    throw Error("cupti_unavailable", "--cupti=on needs a GPU backend; --backend=host has no GPU activity to trace");
}

void check_world(const LaunchEnv& env, const std::string& backend, int world, int gpus) {
  if (backend_traits(backend).one_gpu_per_rank && !env.multi_process() && world > gpus)
    throw Error("not_enough_gpus", "--backend=nccl with world " + std::to_string(world) + " needs one GPU per rank but " +
                                       std::to_string(gpus) + " are usable (use --backend=emulate, or a launcher)");
  if (!backend_traits(backend).one_gpu_per_rank && world > kMaxThreadRanks)
    throw Error("too_large", "world " + std::to_string(world) + " on --backend=" + backend +
                                 " is one thread per rank; at most " + std::to_string(kMaxThreadRanks));
}

void probe_output_path(const std::string& path, const std::string& flag) {
  if (path.empty()) throw Error("bad_output", flag + " is empty");
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw Error("bad_output", flag + "=" + path + " is a directory; name a file");
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (stat(dir.c_str(), &st) != 0)
    throw Error("bad_output", flag + "=" + path + ": directory '" + dir + "' does not exist (create it first)");
  if (!S_ISDIR(st.st_mode)) throw Error("bad_output", flag + "=" + path + ": '" + dir + "' is not a directory");
  // The results are written to a temp file beside the path and renamed: probe exactly that.
  const std::string probe = path + ".probe." + std::to_string(getpid());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0)
    throw Error("bad_output", flag + "=" + path + ": cannot create a file in '" + dir + "': " + std::strerror(errno));
  const bool wrote = write(fd, "{}", 2) == 2;
  close(fd);
  unlink(probe.c_str());
  if (!wrote) throw Error("bad_output", flag + "=" + path + ": cannot write in '" + dir + "'");
}

}  // namespace bb
