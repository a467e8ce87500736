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
  const LaunchEnv e = detect_launch();
  return e.multi_process() ? e.size : 0;
}

int cpu_affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
}

bool under_mpi() { return detect_launch().multi_process(); }

void check_backend_for_launch(const std::string& backend, const LaunchEnv& env) {
  // One process (mpirun -np 1) runs one world: nothing to clash with.
  if (!env.multi_process() || env.size <= 1 || backend == "nccl" || backend == "auto") return;
  throw Error("bad_launch", "--backend=" + backend + " runs all ranks as threads of one process, but " + env.mode +
                                " started " + std::to_string(env.size) + " processes (" + env.source +
                                "): each would run its own world and write the same file. Run it without the "
                                "launcher (e.g. --world=" + std::to_string(env.size) + "), or use --backend=nccl");
}

std::string resolve_backend(const std::string& b) {
  if (b != "auto") return b;
  int n = gpu_count();
  if (n >= 2 || (n >= 1 && under_mpi())) return "nccl";
  return n == 1 ? "emulate" : "host";
}

static void launch_host(const LaunchOptions& opts, const RankFn& fn) {
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
  const std::string b = resolve_backend(opts.backend);
  const LaunchEnv env = detect_launch();
  if (opts.world < 1 && !env.multi_process()) throw Error("bad_world", "world size must be >= 1");
  check_backend_for_launch(b, env);
  LaunchRecord& rec = launch_record();
  rec.mode = env.mode;
  rec.source = env.source;
  rec.bootstrap = "threads";
  if (b == "host") return launch_host(opts, fn);
#ifdef BB_HAVE_CUDA
  if (b == "emulate") return launch_emulate(opts, fn);
  if (b == "nccl") {
    if (!env.multi_process()) return launch_nccl_threads(opts, fn);
#ifdef BB_HAVE_MPI
    if (env.mpi_runtime) return launch_nccl_mpi(opts, fn);
#endif
    return launch_nccl_comm_id(opts, env, fn);
  }
#else
  if (b == "emulate" || b == "nccl")
    throw Error("no_cuda", "backend '" + b + "' needs a build with CUDA");
#endif
  throw Error("bad_backend", "unknown backend '" + b + "' (expected host, emulate, nccl or auto)");
}

}  // namespace bb
