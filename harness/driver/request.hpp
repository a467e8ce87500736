#pragma once
// The sweep a run asks for, and every refusal that can be known before anything runs
// (docs/bad-input.md): the world, the axes, the backend against the launcher and the hardware,
// and the output path.
#include <string>
#include <vector>

#include "comm/launch_env.hpp"
#include "driver/options.hpp"
#include "config/sweep.hpp"

namespace bb {

// The run's world (a launcher's size, else --world, else the sweep file's "world", else 8; any
// two that disagree are world_mismatch), the axes from the flags and the file (a flag wins over
// the file; the run settings mode, cadence and contention as one-value axes), repeats dropped
// (each said in `notes`), and the count of configs (more than
// --max-configs is too_many_configs). `gpu` picks the default shapes.
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
// Flags that name ranks, against the run's world: --inject-delay's rank (bad_flag).
void check_flags_for_world(const BenchOptions& opt, int world);
// The run's world against the backend: not_enough_gpus, too_large (threads).
void check_world(const LaunchEnv& env, const std::string& backend, int world, int gpus);

// Refuses, before any config runs, outputs that cannot be written or would destroy something
// (results/output_file.hpp): --json not a regular file or absent, its directory missing or not
// writable, --json equal to an input (the sweep file) or to --benchmark_out, and
// --benchmark_out into a missing directory or onto a directory. Error("bad_output").
void check_outputs(const BenchOptions& opt);

}  // namespace bb
