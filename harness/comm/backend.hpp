#pragma once
// What a backend is, as the rooms outside harness/comm need to know it: one row per backend,
// with what it can do, what it requires and how it launches. They ask these rows, never the
// backend's name, so a new backend is one row here (and its Comm and launcher), not a hunt for
// string comparisons. Names are what users type (`--backend=`) and what the JSON records.
#include <functional>
#include <string>
#include <vector>

namespace bb {

class Comm;
class Device;
struct LaunchOptions;  // comm/launch.hpp
struct LaunchEnv;      // comm/launch_env.hpp
using RankFn = std::function<void(Comm& world, Device& dev)>;

struct BackendTraits {
  const char* name;
  bool gpu;              // ranks hold GPU memory and run GPU kernels (emulate, nccl)
  bool shares_memory;    // every rank on one memory (host RAM, or one GPU): floors and budgets are shared
  bool captures_graphs;  // collectives are stream-ordered with no host meeting inside (CUDA graphs work)
  bool over_links;       // collectives move bytes over links (NVLink floors, NCCL's paths) rather than by copies
  bool emulated;         // collective times are copies standing in for the links (results say so)
  bool one_gpu_per_rank; // a world needs as many GPUs as ranks
  bool nccl_communicators;  // NCCL communicators: buffers register on them, CTA policies (what NCCL paths need)
  bool processes;        // may run one process per rank under a launcher (else only as threads of one process)
  int auto_gpus;         // --backend=auto picks, of the backends the machine has these GPUs for, the one
                         // with the most (one GPU per process under a launcher, for one_gpu_per_rank)
  int min_nccl_version;  // NCCL_VERSION code the backend's own calls need (0: it uses no NCCL)
  int (*nccl_version)(); // the NCCL this process runs; nullptr where the backend (or the build) has none
  void (*launch)(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn);  // runs every rank
  int running_nccl_version() const { return nccl_version ? nccl_version() : -1; }  // -1: none, or unknown
};

// Every backend, in the order `--backend` lists them.
const std::vector<BackendTraits>& backends();
// The traits of a backend by name; Error("bad_flag") naming the choices for an unknown one
// ("auto" is resolved first: comm/launch.hpp resolve_backend).
const BackendTraits& backend_traits(const std::string& name);
// nullptr for a name with no row.
const BackendTraits* find_backend(const std::string& name);

}  // namespace bb
