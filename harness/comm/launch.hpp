#pragma once
// Runs one function per rank over a chosen backend and hands each its world Comm and Device.
//   host    : ranks are threads over host memory (no GPU needed)
//   emulate : ranks are threads sharing one GPU, each with its own stream; collectives are
//             device-to-device copies (kernel timings real, collective timings not NVLink's)
//   nccl    : one rank per GPU; threads in one process, or one process per GPU under mpirun,
//             srun or torchrun (launch_env.hpp). Processes agree on one ncclUniqueId through MPI
//             when an MPI runtime is there, else through NCCL's own bootstrap: NCCL_COMM_ID
//             (host:port of rank 0; derived from MASTER_ADDR and MASTER_PORT + 1 when unset).
// host and emulate run every rank as a thread of one process: under a multi-process launcher
// they are refused (Error("bad_launch")), never run as N independent worlds.
// The first failure on any rank aborts the others and is rethrown.
#include <functional>
#include <string>

#include "comm/comm.hpp"
#include "comm/launch_env.hpp"
#include "device/device.hpp"

namespace bb {

struct LaunchOptions {
  std::string backend = "host";  // host | emulate | nccl | auto
  int world = 1;                 // ignored under MPI (the MPI world size rules)
  double timeout_s = 120.0;      // a collective not done by then aborts the run
};

// Resolves "auto", refuses what the launch cannot run (Error bad_backend, bad_launch, no_cuda),
// then runs the backend's row's launcher (comm/backend.hpp).
void launch(const LaunchOptions& opts, const RankFn& fn);
// The host backend's launcher: every rank a thread over host memory.
void launch_host(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn);

// "auto" resolved from the backend rows' auto_gpus: nccl with >= 2 GPUs (one per process under a
// launcher), emulate with one, host without.
std::string resolve_backend(const std::string& backend);
int gpu_count();          // 0 when built without CUDA or no GPU is usable
int cpu_affinity_count(); // CPUs this process may run on (mpirun may bind a rank to one)
bool under_mpi();         // started by mpirun, srun or torchrun (detect_launch().multi_process())
int mpi_world_size();     // the launcher's world size; 0 when not under one
// Error("bad_launch") when `backend` cannot run under this launch (host/emulate under mpirun).
void check_backend_for_launch(const std::string& backend, const LaunchEnv& env);
// The environment a backend needs before the first CUDA context exists (call it before any CUDA
// work): emulation gives its ranks' streams a hardware queue each (CUDA_DEVICE_MAX_CONNECTIONS).
void backend_env_defaults(const std::string& backend);

}  // namespace bb
