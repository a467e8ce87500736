#pragma once
// How this process was started, read from the launcher's environment: alone, by mpirun (Open
// MPI, MPICH/PMI), by srun (Slurm, with or without PMI/PMIx) or by torchrun. The rank, the
// world size and the local rank (which GPU of the node) come from the launcher's variables.
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bb {

struct LaunchEnv {
  std::string mode = "single";  // single | mpi | slurm | torchrun
  int rank = 0, size = 1, local_rank = 0;
  // An MPI runtime can start here (mpirun, or srun with PMI/PMIx): MPI_Init sees the world.
  bool mpi_runtime = false;
  std::string source;  // the variables that said so, e.g. "OMPI_COMM_WORLD_SIZE=8"
  bool multi_process() const { return mode != "single"; }
};

using EnvLookup = std::function<const char*(const char*)>;

// Reads the launcher variables through `get` (std::getenv by default; tests pass a map).
// Error("bad_launch") when they are malformed or contradict each other (rank >= size).
LaunchEnv detect_launch(const EnvLookup& get);
LaunchEnv detect_launch();

// Sets an environment variable the suite chooses (e.g. NCCL_NVLS_ENABLE=0) unless the user set
// it, says so on stderr, and remembers it for the results JSON.
void set_env_default(const std::string& name, const std::string& value);
// Sets a variable the suite derived (e.g. NCCL_COMM_ID from MASTER_ADDR), remembered likewise.
void set_env_derived(const std::string& name, const std::string& value, const std::string& why);
const std::map<std::string, std::string>& env_set_by_suite();

// Where a rank of the current launch runs.
struct RankPlace {
  int rank = 0, local_rank = 0;
  std::string host;
  int gpu = -1;             // CUDA ordinal in this process (-1: host backend)
  std::string gpu_bus_id;   // PCI bus id ("" without a GPU)
};
// The current launch, for the results JSON: filled by launch() (all ranks, gathered to rank 0
// for multi-process launches) before the rank functions run.
struct LaunchRecord {
  std::string mode = "single";      // single | mpi | slurm | torchrun
  std::string bootstrap = "threads";  // threads | mpi | nccl_comm_id
  std::string source;               // the launcher variable that said so
  std::vector<RankPlace> ranks;     // complete on the process holding rank 0
};
LaunchRecord& launch_record();
std::string this_host();
}  // namespace bb
