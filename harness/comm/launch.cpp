#include "comm/launch.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "comm/backend.hpp"
#include "comm/first_failure.hpp"
#include "comm/host_comm.hpp"
#include "comm/launch_env.hpp"
#include "comm/nccl_path.hpp"
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
  const LaunchEnv e = detect_launch();
  return e.multi_process() ? e.size : 0;
}

int cpu_affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
}

bool under_mpi() { return detect_launch().multi_process(); }

void backend_env_defaults(const std::string& backend) {
  // Every emulated rank has its own stream, as every real rank has its own GPU. CUDA maps streams
  // onto CUDA_DEVICE_MAX_CONNECTIONS hardware queues (8 by default); streams that share a queue
  // run in each other's order, so one rank's kernel can hold back a peer's work that real GPUs
  // would run at once. 32, the most CUDA takes, gives up to 32 emulated ranks a queue each. A
  // value the user exported is kept; the results JSON records it (environment.env).
  const BackendTraits& t = backend_traits(backend);
  if (t.gpu && !t.one_gpu_per_rank) set_env_default("CUDA_DEVICE_MAX_CONNECTIONS", "32");
}

void check_backend_for_launch(const std::string& backend, const LaunchEnv& env) {
  // One process (mpirun -np 1) runs one world: nothing to clash with.
  if (!env.multi_process() || env.size <= 1 || backend == "auto" || backend_traits(backend).processes) return;
  throw Error("bad_launch", "--backend=" + backend + " runs all ranks as threads of one process, but " + env.mode +
                                " started " + std::to_string(env.size) + " processes (" + env.source +
                                "): each would run its own world and write the same file. Run it without the "
                                "launcher (e.g. --world=" + std::to_string(env.size) + "), or use --backend=nccl");
}

std::string resolve_backend(const std::string& b) {
  if (b != "auto") return b;
  const int n = gpu_count();
  const bool per_process = under_mpi();
  const BackendTraits* best = nullptr;
  for (const BackendTraits& row : backends()) {
    const int need = per_process && row.one_gpu_per_rank ? std::min(row.auto_gpus, 1) : row.auto_gpus;
    if (n >= need && (!best || row.auto_gpus > best->auto_gpus)) best = &row;
  }
  return best->name;  // the row with auto_gpus 0 always qualifies
}

void launch_host(const LaunchOptions& opts, const LaunchEnv&, const RankFn& fn) {
  LaunchRecord& rec = launch_record();
  rec.ranks.clear();
  for (int r = 0; r < opts.world; ++r) rec.ranks.push_back({r, r, this_host(), -1, ""});
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
  LaunchOptions o = opts;
  o.backend = resolve_backend(opts.backend);
  const BackendTraits* row = find_backend(o.backend);
  if (!row) {
    std::string names;
    for (const auto& b : backends()) names += std::string(b.name) + ", ";
    throw Error("bad_backend", "unknown backend '" + o.backend + "' (expected " + names.substr(0, names.size() - 2) +
                                   " or auto)");
  }
  const LaunchEnv env = detect_launch();
  if (o.world < 1 && !env.multi_process()) throw Error("bad_world", "world size must be >= 1");
  check_backend_for_launch(o.backend, env);
  check_nccl_version("--backend=" + o.backend, row->min_nccl_version, row->running_nccl_version());
  LaunchRecord& rec = launch_record();
  rec.mode = env.mode;
  rec.source = env.source;
  rec.bootstrap = "threads";
  row->launch(o, env, fn);
}

}  // namespace bb
