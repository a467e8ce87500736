#pragma once
// bridge_bench's own flags (Google Benchmark's --benchmark_* flags pass through untouched).
#include <string>
#include <vector>

#include "bridge/strategy.hpp"
#include "comm/nccl_path.hpp"
#include "measure/timing_loop.hpp"
#include "comm/launch_env.hpp"
#include "results/sweep.hpp"

namespace bb {

struct BenchOptions {
  std::string backend = "auto";
  std::vector<int> worlds{8};  // one value; a sweep file's "world" replaces it unless --world is given
  std::string layouts = "seeds";
  std::string shapes;  // empty: a default that suits the backend
  std::vector<MemOrder> mems{MemOrder::bsh, MemOrder::sbh};
  std::vector<DType> dtypes{DType::bf16};
  std::vector<std::string> strategies = strategy_names();  // default: every registered strategy
  int iterations = 20, warmup = 5;
  std::string mode = "timed";  // timed | graph | profile
  Cadence cadence = Cadence::isolated;
  int delay_rank = -1;         // --inject-delay=RANK:MS (fault injection, to prove the method)
  double delay_ms = 0;
  std::string cupti = "auto";  // auto | on | off
  std::string json_out = "bridge_results.json";
  double timeout_s = 120;
  bool collectives = true;     // also time the bare collectives of each layout
  int64_t max_configs = 10000; // a larger sweep is refused up front (too_many_configs)
  std::vector<NcclPath> nccl_paths{NcclPath::default_path};  // --nccl-path (comm/nccl_path.hpp)
  std::vector<Contention> contentions{Contention::none};     // --contention: gemm adds a loaded run
  std::string command_line;
  std::vector<std::string> explicit_flags;  // flags given on the command line
  bool given(const std::string& f) const;
};

extern const char* kBenchUsage;

// Removes the flags it knows from argv; throws Error("bad_flag") on a bad value and
// Error("too_large") on a number out of range.
BenchOptions parse_bench_options(int* argc, char** argv);

// The Google Benchmark flags bridge_bench acts on, checked before benchmark::Initialize sees
// them (it aborts on some bad values): --benchmark_repetitions=N (1..1000) and
// --benchmark_list_tests[=true|false].
struct GbenchFlags {
  int repetitions = 1;
  bool list_tests = false;
};
GbenchFlags inspect_gbench_flags(int argc, char** argv);

// Google Benchmark's filter semantics (POSIX extended regex searched in the name; a leading
// '-' negates). check_filter throws Error("bad_flag") for a regex that does not compile.
void check_filter(const std::string& filter);
bool filter_matches(const std::string& name, const std::string& filter);

// Refuses an output path that cannot be written, before any config runs: its directory must
// exist and accept a new file (probed with a temp file, removed at once), and the path must not
// be a directory. Error("bad_output").
void probe_output_path(const std::string& path, const std::string& flag);

// The sweep a run asks for, validated whole before anything runs: the run's world (a
// launcher's size, else --world, else the sweep file's "world", else 8; any two that disagree
// are world_mismatch), the axes from the flags and the file (a flag wins over the file),
// repeats dropped (each said in `notes`), and the count of configs (more than --max-configs is
// too_many_configs). `gpu` picks the default shapes.
struct SweepRequest {
  int world = 8;
  SweepAxes axes;
  int64_t configs = 0;
  std::vector<std::string> notes;
};
SweepRequest build_sweep(const BenchOptions& opt, const LaunchEnv& env, bool gpu);

// host and emulate run a thread per rank: more than this is refused as too_large.
constexpr int kMaxThreadRanks = 1024;

// The backend (resolved) against the launcher, the hardware (`gpus` usable) and the other
// flags: bad_launch, no_gpu, graph_unsupported, cupti_unavailable.
void check_backend(const BenchOptions& opt, const LaunchEnv& env, const std::string& backend, int gpus);
// The run's world against the backend: not_enough_gpus, too_large (threads).
void check_world(const LaunchEnv& env, const std::string& backend, int world, int gpus);

}  // namespace bb
