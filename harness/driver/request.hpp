#pragma once
// The sweep a run asks for, and every refusal that can be known before anything runs
// (docs/bad-input.md): the world, the axes, the backend against the launcher and the hardware,
// and the output path.
#include <string>
#include <vector>

#include "comm/launch_env.hpp"
#include "driver/options.hpp"
#include "results/sweep.hpp"

namespace bb {

// The run's world (a launcher's size, else --world, else the sweep file's "world", else 8; any
// two that disagree are world_mismatch), the axes from the flags and the file (a flag wins over
// the file), repeats dropped (each said in `notes`), and the count of configs (more than
// --max-configs is too_many_configs). `gpu` picks the default shapes.
struct SweepRequest {
  int world = 8;
  SweepAxes axes;
  int64_t configs = 0;
  std::vector<std::string> notes;
  // The run-wide fields of every config's key (results/config_key.hpp).
  RunMode mode = RunMode::timed;
  Cadence cadence = Cadence::isolated;
  Contention contention = Contention::none;  // gemm when --contention lists it
};
SweepRequest build_sweep(const BenchOptions& opt, const LaunchEnv& env, bool gpu);

// host and emulate run a thread per rank: more than this is refused as too_large.
constexpr int kMaxThreadRanks = 1024;

// The backend (resolved) against the launcher, the hardware (`gpus` usable) and the other
// flags: bad_launch, no_gpu, graph_unsupported, cupti_unavailable.
void check_backend(const BenchOptions& opt, const LaunchEnv& env, const std::string& backend, int gpus);
// The run's world against the backend: not_enough_gpus, too_large (threads).
void check_world(const LaunchEnv& env, const std::string& backend, int world, int gpus);

// Refuses an output path that cannot be written, before any config runs: its directory must
// exist and accept a new file (probed with a temp file, removed at once), and the path must not
// be a directory. Error("bad_output").
void probe_output_path(const std::string& path, const std::string& flag);

}  // namespace bb
