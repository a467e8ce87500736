#include "driver/request.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


#include "comm/backend.hpp"
#include "comm/launch.hpp"
#include "core/checked.hpp"
#include "results/output_file.hpp"

namespace bb {

namespace {

bool is_sweep_file(const std::string& layouts) {
  return layouts.size() > 5 && layouts.substr(layouts.size() - 5) == ".json";
}

// Who sets the world, in order of authority: the launcher, --world, the sweep file (0: it does
// not say). Any two that disagree are world_mismatch.
int resolve_world(const BenchOptions& opt, const LaunchEnv& env, int file_world) {
  auto mismatch = [](const std::string& a, int x, const std::string& b, int y) {
    return Error("world_mismatch", a + " is " + std::to_string(x) + " but " + b + " is " + std::to_string(y) +
                                       " (make them agree, or leave one out)");
  };
  const bool flag = opt.given("--world");
  if (env.multi_process()) {
    if (flag && opt.world != env.size) throw mismatch("--world", opt.world, "the " + env.mode + " world", env.size);
    if (file_world && file_world != env.size)
      throw mismatch(opt.layouts + "'s \"world\"", file_world, "the " + env.mode + " world", env.size);
    return env.size;
  }
  if (flag) {
    if (file_world && file_world != opt.world) throw mismatch(opt.layouts + "'s \"world\"", file_world, "--world", opt.world);
    return opt.world;
  }
  return file_world ? file_world : opt.world;
}

// The axes from the flags; with a sweep file, the file's unless a flag says otherwise. The named
// axes (config/axes.hpp) follow their rows: an axis's flag, or its flag default without a file.
SweepAxes merge_axes(const BenchOptions& opt, const SweepAxes* file, bool gpu) {
  SweepAxes axes = file ? *file : SweepAxes{};
  axes.notes.clear();  // the file's notes travel in the request (build_sweep)
  auto flag = [&](const char* name) { return !file || opt.given(name); };
  if (flag("--shapes"))
    axes.shapes = !opt.shapes.empty() ? opt.shapes
                  : gpu              ? parse_shapes("1x1024x4096,2x4096x4096,4x8192x4096")
                                     : parse_shapes("2x256x1024,4x1024x1024");
  for (const Axis& a : axis_table()) {
    if (a.flag.empty() || !flag(a.flag.c_str())) continue;
    const auto given = opt.axis_flags.find(a.name);
    axes.named[a.name] = given != opt.axis_flags.end() ? given->second : a.flag_default;
  }
  // The run settings: one value per run, from their own flags.
  axes.named["mode"] = {run_mode_name(opt.mode)};
  axes.named["cadence"] = {cadence_name(opt.cadence)};
  for (Contention c : opt.contentions)  // gemm when --contention lists it: a loaded run beside the idle one
    if (c != Contention::none) axes.named["contention"] = {contention_name(c)};
  return axes;
}

void check_config_count(const SweepRequest& req, int64_t max_configs) {
  if (req.configs > max_configs)
    throw Error("too_many_configs", "the sweep has " + std::to_string(req.configs) + " configs (" +
                                        count_terms(req.axes) + "), above --max-configs=" +
                                        std::to_string(max_configs) + ": narrow it, or raise --max-configs");
  if (req.configs == 0) throw Error("nothing_to_run", "the sweep has no configs");
}

}  // namespace

SweepRequest build_sweep(const BenchOptions& opt, const LaunchEnv& env, bool gpu) {
  const bool file = is_sweep_file(opt.layouts);
  SweepAxes from_file;
  if (file) from_file = load_sweep_file(opt.layouts);
  SweepRequest req;
  req.world = resolve_world(opt, env, from_file.world);
  req.axes = merge_axes(opt, file ? &from_file : nullptr, gpu);
  if (!file) req.axes.layouts = layouts_from_arg(opt.layouts, req.world);
  for (const auto& l : req.axes.layouts)
    if (l.world != req.world)
      throw Error("world_mismatch", "layout '" + l.name + "' is for " + std::to_string(l.world) +
                                        " ranks but this run has " + std::to_string(req.world) +
                                        " (set --world, or launch that many processes)");
  req.notes = from_file.notes;  // repeats the file reader dropped already
  dedupe_axes(req.axes, &req.notes);
  req.configs = count_configs(req.axes);
  check_config_count(req, opt.max_configs);
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
  if (opt.mode == RunMode::graph && !backend_traits(backend).captures_graphs)
    throw Error("graph_unsupported", "--mode=graph needs --backend=nccl (the " + backend +
                                         " backend meets its peers on the host inside a collective)");
  if (opt.cupti == CuptiMode::on && !gpu)
    throw Error("cupti_unavailable", "--cupti=on needs a GPU backend; --backend=host has no GPU activity to trace");
}

void check_flags_for_world(const BenchOptions& opt, int world) {
  if (opt.delay_rank >= world)
    throw Error("bad_flag", "--inject-delay=" + std::to_string(opt.delay_rank) + ":MS names world rank " +
                                std::to_string(opt.delay_rank) + ", but this run's world has " + std::to_string(world) +
                                " ranks (0.." + std::to_string(world - 1) + "): nothing would be delayed");
  if (!opt.fault_kind.empty() && opt.fault_rank >= world)
    throw Error("bad_flag", "--inject-fault names world rank " + std::to_string(opt.fault_rank) + ", but this run's world has " +
                                std::to_string(world) + " ranks: no rank would fail");
}

void check_world(const LaunchEnv& env, const std::string& backend, int world, int gpus) {
  if (backend_traits(backend).one_gpu_per_rank && !env.multi_process() && world > gpus)
    throw Error("not_enough_gpus", "--backend=nccl with world " + std::to_string(world) + " needs one GPU per rank but " +
                                       std::to_string(gpus) + " are usable (use --backend=emulate, or a launcher)");
  if (!backend_traits(backend).one_gpu_per_rank && world > kMaxThreadRanks)
    throw Error("too_large", "world " + std::to_string(world) + " on --backend=" + backend +
                                 " is one thread per rank; at most " + std::to_string(kMaxThreadRanks));
}

void check_outputs(const BenchOptions& opt) {
  check_output_path(opt.json_out, "--json");
  if (is_sweep_file(opt.layouts) && same_file(opt.json_out, opt.layouts))
    throw Error("bad_output", "--json=" + opt.json_out + " is the sweep file --layouts=" + opt.layouts +
                                  ": writing the results would overwrite it; name another file");
  if (opt.gbench_out.empty()) return;
  if (same_file(opt.json_out, opt.gbench_out))
    throw Error("bad_output", "--json and --benchmark_out both name " + opt.gbench_out +
                                  ": one would overwrite the other; name two files");
  if (is_sweep_file(opt.layouts) && same_file(opt.gbench_out, opt.layouts))
    throw Error("bad_output", "--benchmark_out=" + opt.gbench_out + " is the sweep file --layouts=" + opt.layouts +
                                  ": name another file");
  // Google Benchmark opens this file itself, after every config ran, and only says "invalid
  // file name" then: its directory is checked now.
  const std::string target = output_target(opt.gbench_out, "--benchmark_out");
  const size_t slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : target.substr(0, slash);
  struct stat st {};
  if (stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw Error("bad_output", "--benchmark_out=" + opt.gbench_out + " is a directory; name a file");
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("bad_output", "--benchmark_out=" + opt.gbench_out + ": directory '" + dir +
                                  "' does not exist (create it first)");
  if (access(dir.c_str(), W_OK) != 0)
    throw Error("bad_output", "--benchmark_out=" + opt.gbench_out + ": cannot create a file in '" + dir + "'");
}

}  // namespace bb
