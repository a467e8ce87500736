#include "comm/gpu_launch.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "comm/emulate_comm.hpp"
#include "comm/first_failure.hpp"
#include "comm/launch_env.hpp"
#include "core/checked.hpp"
#include "comm/nccl_comm.hpp"
#include "comm/nccl_transport.hpp"
#include "device/cuda_device.hpp"
#ifdef BB_HAVE_MPI
#include <mpi.h>
#endif

namespace bb {
namespace {

void cuda_or_throw(cudaError_t e, const std::string& what) {
  if (e != cudaSuccess) throw Error("cuda_error", what + ": " + cudaGetErrorString(e));
}

// NVLink SHARP (multicast) stays off unless the user asked for it explicitly; the JSON and
// stderr say that the suite set it. NCCL's connection lines go to a file, so the results can say
// which transport really ran (comm/nccl_transport.hpp).
void nccl_env_defaults() {
  set_env_default("NCCL_NVLS_ENABLE", "0");
  capture_nccl_transports();
}

std::string bus_id_of(int gpu) {
  char bus[32] = {0};
  cuda_or_throw(cudaDeviceGetPCIBusId(bus, int(sizeof bus), gpu), "cudaDeviceGetPCIBusId(" + std::to_string(gpu) + ")");
  return bus;
}

// The places of a one-process (threads) launch: every rank on this host.
void record_thread_places(int world, const std::function<int(int)>& gpu_of) {
  auto& rec = launch_record().ranks;
  rec.clear();
  for (int r = 0; r < world; ++r) rec.push_back({r, r, this_host(), gpu_of(r), bus_id_of(gpu_of(r))});
}

// One rank's place as fixed-size bytes, so processes can gather them over any transport.
struct PlaceMsg {
  int rank, local_rank, gpu;
  char host[128];
  char bus[32];
};

PlaceMsg place_msg(int rank, int local_rank, int gpu) {
  PlaceMsg m{};
  m.rank = rank;
  m.local_rank = local_rank;
  m.gpu = gpu;
  std::snprintf(m.host, sizeof m.host, "%s", this_host().c_str());
  std::snprintf(m.bus, sizeof m.bus, "%s", bus_id_of(gpu).c_str());
  return m;
}

void record_places(const std::vector<PlaceMsg>& all) {
  auto& rec = launch_record().ranks;
  rec.clear();
  for (const auto& m : all) rec.push_back({m.rank, m.local_rank, std::string(m.host), m.gpu, std::string(m.bus)});
}

// One thread per rank. Each thread's Comm is destroyed before its Device (it uses the stream)
// and, on failure, while the exception is in flight: that makes the NCCL Comm abort rather than
// finalize. `abort` tells every other rank to stop waiting.
template <class MakeComm>
void run_threads(int world, const std::function<void(const std::string&)>& abort,
                 const std::function<int(int)>& gpu_of, const MakeComm& make_comm,
                 const RankFn& fn) {
  FirstFailure failure;
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        const int gpu = gpu_of(r);
        cuda_or_throw(cudaSetDevice(gpu), "cudaSetDevice(" + std::to_string(gpu) + ")");
        auto dev = make_cuda_device(gpu);
        auto comm = make_comm(r, *dev);
        fn(*comm, *dev);
      } catch (const std::exception& e) {
        failure.offer(e);
        abort("rank " + std::to_string(r) + " failed: " + e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  failure.rethrow();
}

std::string nccl_msg(const char* what, ncclResult_t r) {
  return std::string(what) + ": " + ncclGetErrorString(r);
}

}  // namespace

void launch_emulate(const LaunchOptions& opts, const LaunchEnv&, const RankFn& fn) {
  if (gpu_count_impl() < 1) throw Error("no_gpu", "emulate backend: no usable CUDA GPU");
  record_thread_places(opts.world, [](int) { return 0; });
  EmulateWorld world(opts.world, opts.timeout_s);
  run_threads(
      opts.world, [&](const std::string& why) { world.abort(why); }, [](int) { return 0; },
      [&](int rank, Device& dev) { return world.comm(rank, dev); }, fn);
}

void launch_nccl_threads(const LaunchOptions& opts, const RankFn& fn) {
  const int n = gpu_count_impl();
  if (opts.world > n)
    throw Error("not_enough_gpus", "nccl backend: world size " + std::to_string(opts.world) +
                                       " needs one GPU per rank but " + std::to_string(n) +
                                       " are usable (the emulate backend runs more ranks on one GPU)");
  nccl_env_defaults();
  record_thread_places(opts.world, [](int rank) { return rank; });
  ncclUniqueId id;
  ncclResult_t r = ncclGetUniqueId(&id);
  if (r != ncclSuccess) throw Error("nccl_error", nccl_msg("ncclGetUniqueId", r));
  auto abort = std::make_shared<AbortState>();
  run_threads(
      opts.world, [&](const std::string& why) { abort->abort(why); }, [](int rank) { return rank; },
      [&](int rank, Device& dev) {
        return make_nccl_world_comm(id, opts.world, rank, dev, abort, opts.timeout_s);
      },
      fn);
}

void launch_nccl_comm_id(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn) {
  nccl_env_defaults();
  if (!std::getenv("NCCL_COMM_ID")) {
    const char* addr = std::getenv("MASTER_ADDR");
    const char* port = std::getenv("MASTER_PORT");
    if (!addr || !port)
      throw Error("bad_launch", env.mode + " started " + std::to_string(env.size) +
                                    " processes without MPI: set NCCL_COMM_ID=host:port (rank 0's host, a free "
                                    "port), or MASTER_ADDR and MASTER_PORT (the suite then uses MASTER_PORT+1)");
    int p = 0;
    try {
      p = int(parse_int64(port, 1, 65534, "MASTER_PORT", "bad_launch"));
    } catch (const Error& e) {
      throw Error("bad_launch", e.what());
    }
    // torchrun's own store listens on MASTER_PORT; NCCL's bootstrap root takes the next one.
    set_env_derived("NCCL_COMM_ID", std::string(addr) + ":" + std::to_string(p + 1),
                    "from MASTER_ADDR and MASTER_PORT+1, for NCCL's bootstrap");
  }
  launch_record().bootstrap = "nccl_comm_id";
  const int n = gpu_count_impl();
  if (n < 1) throw Error("no_gpu", "nccl backend: rank " + std::to_string(env.rank) + " sees no usable CUDA GPU");
  const int gpu = env.local_rank % n;
  // With NCCL_COMM_ID set, ncclGetUniqueId returns that address and NCCL's fixed magic on
  // every rank (bootstrapGetUniqueId); rank 0's ncclCommInitRank starts the root there.
  ncclUniqueId id;
  ncclResult_t r = ncclGetUniqueId(&id);
  if (r != ncclSuccess) throw Error("nccl_error", nccl_msg("ncclGetUniqueId (NCCL_COMM_ID bootstrap)", r));
  cuda_or_throw(cudaSetDevice(gpu), "cudaSetDevice(" + std::to_string(gpu) + ")");
  auto abort = std::make_shared<AbortState>();
  auto dev = make_cuda_device(gpu);
  auto comm = make_nccl_world_comm(id, env.size, env.rank, *dev, abort, opts.timeout_s);
  // Every rank's host and GPU, gathered over the new communicator for the results JSON.
  const PlaceMsg mine = place_msg(env.rank, env.local_rank, gpu);
  void* d_all = nullptr;
  cuda_or_throw(cudaMalloc(&d_all, sizeof(PlaceMsg) * size_t(env.size + 1)), "cudaMalloc (rank places)");
  std::vector<PlaceMsg> all(size_t(env.size));
  try {
    char* d_mine = static_cast<char*>(d_all) + sizeof(PlaceMsg) * size_t(env.size);
    cuda_or_throw(cudaMemcpy(d_mine, &mine, sizeof mine, cudaMemcpyHostToDevice), "cudaMemcpy (rank place)");
    comm->set_phase("gather rank places");
    comm->all_gather(d_mine, d_all, sizeof(PlaceMsg));
    comm->synchronize();
    cuda_or_throw(cudaMemcpy(all.data(), d_all, sizeof(PlaceMsg) * all.size(), cudaMemcpyDeviceToHost),
                  "cudaMemcpy (rank places)");
  } catch (...) {
    cudaFree(d_all);
    throw;
  }
  cuda_or_throw(cudaFree(d_all), "cudaFree (rank places)");
  if (env.rank == 0) record_places(all);
  fn(*comm, *dev);
}

#ifdef BB_HAVE_MPI
namespace {

bool g_mpi_failed = false;

// A failed rank skips MPI_Finalize: mpirun then sees it exit without finalizing and kills the
// other ranks at once, instead of them waiting out their collective deadline.
void finalize_mpi_at_exit() {
  int fin = 0;
  MPI_Finalized(&fin);
  if (!fin && !g_mpi_failed) MPI_Finalize();
}

void mpi_or_throw(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw Error("mpi_error", std::string(what) + " failed (" + std::to_string(rc) + ")");
}

int local_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  MPI_Comm node;
  mpi_or_throw(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
               "MPI_Comm_split_type");
  int lr = 0;
  MPI_Comm_rank(node, &lr);
  MPI_Comm_free(&node);
  return lr;
}

}  // namespace

void launch_nccl_mpi(const LaunchOptions& opts, const RankFn& fn) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    mpi_or_throw(MPI_Init(nullptr, nullptr), "MPI_Init");
    std::atexit(finalize_mpi_at_exit);
  }
  int rank = 0, size = 0;
  mpi_or_throw(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  mpi_or_throw(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  nccl_env_defaults();

  // Rank 0's id (or its failure) reaches every rank, so no rank waits on an id never sent.
  struct {
    int rc;
    ncclUniqueId id;
  } msg{};
  if (rank == 0) msg.rc = int(ncclGetUniqueId(&msg.id));
  mpi_or_throw(MPI_Bcast(&msg, int(sizeof msg), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  if (msg.rc != ncclSuccess)
    throw Error("nccl_error", nccl_msg("ncclGetUniqueId on MPI rank 0", ncclResult_t(msg.rc)));

  try {
    const int n = gpu_count_impl();
    if (n < 1) throw Error("no_gpu", "nccl backend: MPI rank " + std::to_string(rank) + " sees no usable CUDA GPU");
    const int lr = local_rank();
    const int gpu = lr % n;
    // Every rank's host and GPU reach rank 0 for the results JSON.
    const PlaceMsg mine = place_msg(rank, lr, gpu);
    std::vector<PlaceMsg> all(size_t(rank == 0 ? size : 0));
    mpi_or_throw(MPI_Gather(&mine, int(sizeof mine), MPI_BYTE, all.data(), int(sizeof mine), MPI_BYTE, 0, MPI_COMM_WORLD),
                 "MPI_Gather (rank places)");
    if (rank == 0) record_places(all);
    launch_record().bootstrap = "mpi";
    // mpirun binds np <= 2 to one core by default: NCCL's launch thread (one per collective with
    // non-blocking communicators) and its proxy thread then share the rank's only core.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) == 1 && rank == 0)
      std::fprintf(stderr, "bridgebench: warning: MPI rank 0 may run on 1 CPU only (mpirun's binding); NCCL's "
                           "launch and proxy threads share it. Consider mpirun --bind-to none or --map-by ...:PE=N\n");
    auto abort = std::make_shared<AbortState>();  // one rank per process: nobody else raises it
    cuda_or_throw(cudaSetDevice(gpu), "cudaSetDevice(" + std::to_string(gpu) + ")");
    auto dev = make_cuda_device(gpu);
    auto comm = make_nccl_world_comm(msg.id, size, rank, *dev, abort, opts.timeout_s);
    fn(*comm, *dev);
  } catch (const std::exception& e) {
    g_mpi_failed = true;
    std::fprintf(stderr, "bridgebench: MPI rank %d of %d failed: %s\n", rank, size, e.what());
    throw;
  }
}
#endif

void launch_nccl(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn) {
  if (!env.multi_process()) return launch_nccl_threads(opts, fn);
#ifdef BB_HAVE_MPI
  if (env.mpi_runtime) return launch_nccl_mpi(opts, fn);
#endif
  launch_nccl_comm_id(opts, env, fn);
}

}  // namespace bb
