#include "comm/launch_env.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <unistd.h>

#include "core/checked.hpp"

namespace bb {
namespace {

int env_int(const EnvLookup& get, const char* name, int lo, int fallback) {
  const char* v = get(name);
  if (!v) return fallback;
  try {
    return int(parse_int64(v, lo, kMaxRanks, std::string("launcher variable ") + name, "bad_launch"));
  } catch (const Error& e) {
    throw Error("bad_launch", e.what());
  }
}

// The first of `names` that is set, or nullptr.
const char* first_set(const EnvLookup& get, std::initializer_list<const char*> names, const char** which) {
  for (const char* n : names)
    if (get(n)) {
      *which = n;
      return get(n);
    }
  return nullptr;
}

}  // namespace

LaunchEnv detect_launch(const EnvLookup& get) {
  LaunchEnv e;
  const char* which = nullptr;
  if (first_set(get, {"OMPI_COMM_WORLD_SIZE"}, &which)) {
    e.mode = "mpi";
    e.size = env_int(get, "OMPI_COMM_WORLD_SIZE", 1, 1);
    e.rank = env_int(get, "OMPI_COMM_WORLD_RANK", 0, 0);
    e.local_rank = env_int(get, "OMPI_COMM_WORLD_LOCAL_RANK", 0, -1);
    e.mpi_runtime = true;
  } else if (get("PMI_SIZE") && !get("SLURM_STEP_NUM_TASKS")) {
    which = "PMI_SIZE";  // MPICH / Intel MPI (Hydra)
    e.mode = "mpi";
    e.size = env_int(get, "PMI_SIZE", 1, 1);
    e.rank = env_int(get, "PMI_RANK", 0, 0);
    e.local_rank = env_int(get, "MPI_LOCALRANKID", 0, -1);
    e.mpi_runtime = true;
  } else if (get("SLURM_STEP_NUM_TASKS") && get("SLURM_PROCID")) {
    // A job step started by srun (a batch script alone has no SLURM_STEP_NUM_TASKS). With
    // --mpi=pmix or pmi2 an MPI build can MPI_Init; without, NCCL's own bootstrap is used.
    which = "SLURM_STEP_NUM_TASKS";
    e.mode = "slurm";
    e.size = env_int(get, "SLURM_STEP_NUM_TASKS", 1, 1);
    e.rank = env_int(get, "SLURM_PROCID", 0, 0);
    e.local_rank = env_int(get, "SLURM_LOCALID", 0, -1);
    e.mpi_runtime = get("PMIX_RANK") || get("PMI_RANK") || get("PMI_FD");
  } else if (get("WORLD_SIZE") && get("RANK")) {
    which = "WORLD_SIZE";  // torchrun (torch.distributed.run) and its LOCAL_RANK
    e.mode = "torchrun";
    e.size = env_int(get, "WORLD_SIZE", 1, 1);
    e.rank = env_int(get, "RANK", 0, 0);
    e.local_rank = env_int(get, "LOCAL_RANK", 0, -1);
  }
  if (e.mode == "single") return e;
  e.source = std::string(which) + "=" + get(which);
  if (e.rank >= e.size)
    throw Error("bad_launch", e.mode + " launch: rank " + std::to_string(e.rank) + " is not below the world size " +
                                  std::to_string(e.size) + " (" + e.source + ")");
  if (e.local_rank < 0) e.local_rank = e.rank;  // no local rank given: one node
  return e;
}

namespace {
std::mutex g_env_mu;
std::map<std::string, std::string>& set_vars() {
  static std::map<std::string, std::string> m;
  return m;
}
}  // namespace

void set_env_default(const std::string& name, const std::string& value) {
  std::lock_guard<std::mutex> lk(g_env_mu);
  if (std::getenv(name.c_str()) || set_vars().count(name)) return;
  setenv(name.c_str(), value.c_str(), 0);
  set_vars()[name] = value;
  std::fprintf(stderr, "note: bridgebench set %s=%s (export it to choose otherwise)\n", name.c_str(), value.c_str());
}

void set_env_derived(const std::string& name, const std::string& value, const std::string& why) {
  std::lock_guard<std::mutex> lk(g_env_mu);
  setenv(name.c_str(), value.c_str(), 1);
  set_vars()[name] = value;
  std::fprintf(stderr, "note: bridgebench set %s=%s (%s)\n", name.c_str(), value.c_str(), why.c_str());
}

const std::map<std::string, std::string>& env_set_by_suite() { return set_vars(); }

LaunchRecord& launch_record() {
  static LaunchRecord r;
  return r;
}

std::string this_host() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

LaunchEnv detect_launch() {
  return detect_launch([](const char* n) -> const char* { return std::getenv(n); });
}

}  // namespace bb
