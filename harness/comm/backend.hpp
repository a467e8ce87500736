#pragma once
// What a backend is, as the rooms outside harness/comm need to know it. They ask these traits,
// never the backend's name, so a new backend is one row here (and its Comm), not a hunt for
// string comparisons. Names are what users type (`--backend=`) and what the JSON records.
#include <string>
#include <vector>

namespace bb {

struct BackendTraits {
  const char* name;
  bool gpu;              // ranks hold GPU memory and run GPU kernels (emulate, nccl)
  bool shares_memory;    // every rank on one memory (host RAM, or one GPU): floors and budgets are shared
  bool captures_graphs;  // collectives are stream-ordered with no host meeting inside (CUDA graphs work)
  bool over_links;       // collectives move bytes over links (NVLink floors, NCCL's paths) rather than by copies
  bool emulated;         // collective times are copies standing in for the links (results say so)
  bool one_gpu_per_rank; // a world needs as many GPUs as ranks
};

// Every backend, in the order `--backend` lists them.
const std::vector<BackendTraits>& backends();
// The traits of a backend by name; Error("bad_flag") naming the choices for an unknown one
// ("auto" is resolved first: comm/launch.hpp resolve_backend).
const BackendTraits& backend_traits(const std::string& name);

}  // namespace bb
