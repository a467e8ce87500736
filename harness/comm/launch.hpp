#pragma once
// Runs one function per rank over a chosen backend and hands each its world Comm and Device.
//   host    : ranks are threads over host memory (no GPU needed)
//   emulate : ranks are threads sharing one GPU, each with its own stream; collectives are
//             device-to-device copies (kernel timings real, collective timings not NVLink's)
//   nccl    : one rank per GPU; threads in one process, or one process per GPU under MPI
// The first failure on any rank aborts the others and is rethrown.
#include <functional>
#include <string>

#include "comm/comm.hpp"
#include "device/device.hpp"

namespace bb {

struct LaunchOptions {
  std::string backend = "host";  // host | emulate | nccl | auto
  int world = 1;                 // ignored under MPI (the MPI world size rules)
  double timeout_s = 120.0;      // a collective not done by then aborts the run
};

using RankFn = std::function<void(Comm& world, Device& dev)>;

void launch(const LaunchOptions& opts, const RankFn& fn);

// "auto" resolved: nccl with >= 2 GPUs, emulate with one, host without.
std::string resolve_backend(const std::string& backend);
int gpu_count();          // 0 when built without CUDA or no GPU is usable
bool under_mpi();         // started by mpirun/srun with more than one process or MPI env present
int mpi_world_size();     // 0 when not under MPI
int cpu_affinity_count(); // CPUs this process may run on (mpirun may bind a rank to one)

}  // namespace bb
