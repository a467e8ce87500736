#include "comm/launch.hpp"

#include <sched.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "comm/first_failure.hpp"
#include "comm/host_comm.hpp"
#ifdef BB_HAVE_CUDA
#include "comm/gpu_launch.hpp"
#endif

namespace bb {

int gpu_count() {
#ifdef BB_HAVE_CUDA
  return gpu_count_impl();
#else
  return 0;
#endif
}

int mpi_world_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"}) {
    if (const char* s = std::getenv(v)) return std::atoi(s);
  }
  return 0;
}

int cpu_affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
}

bool under_mpi() { return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE"); }

std::string resolve_backend(const std::string& b) {
  if (b != "auto") return b;
  int n = gpu_count();
  if (n >= 2 || (n >= 1 && under_mpi())) return "nccl";
  return n == 1 ? "emulate" : "host";
}

static void launch_host(const LaunchOptions& opts, const RankFn& fn) {
  HostWorld world(opts.world, opts.timeout_s);
  FirstFailure failure;
  std::vector<std::thread> threads;
  for (int r = 0; r < opts.world; ++r) {
    threads.emplace_back([&, r] {
      try {
        auto comm = world.comm(r);
        auto dev = make_host_device();
        fn(*comm, *dev);
      } catch (const std::exception& e) {
        failure.offer(e);
        world.abort("rank " + std::to_string(r) + " failed: " + e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  failure.rethrow();
}

void launch(const LaunchOptions& opts, const RankFn& fn) {
  const std::string b = resolve_backend(opts.backend);
  if (opts.world < 1 && !under_mpi()) throw Error("bad_world", "world size must be >= 1");
  if (b == "host") return launch_host(opts, fn);
#ifdef BB_HAVE_CUDA
  if (b == "emulate") return launch_emulate(opts, fn);
  if (b == "nccl") {
#ifdef BB_HAVE_MPI
    if (under_mpi()) return launch_nccl_mpi(opts, fn);
#endif
    return launch_nccl_threads(opts, fn);
  }
#else
  if (b == "emulate" || b == "nccl")
    throw Error("no_cuda", "backend '" + b + "' needs a build with CUDA");
#endif
  throw Error("bad_backend", "unknown backend '" + b + "' (expected host, emulate, nccl or auto)");
}

}  // namespace bb
