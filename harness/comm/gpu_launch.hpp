#pragma once
// GPU side of launch(), built only with CUDA (harness/comm/gpu_launch.cpp).
#include "comm/launch.hpp"

namespace bb {

int gpu_count_impl();
// The emulate and nccl rows' launchers (comm/backend.cpp).
void launch_emulate(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn);
// One process with a thread per GPU, or one process per rank: under MPI (an ncclUniqueId
// broadcast), else through NCCL_COMM_ID.
void launch_nccl(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn);
void launch_nccl_threads(const LaunchOptions& opts, const RankFn& fn);
// One process per rank without MPI (torchrun, srun without PMI): every rank derives the same
// ncclUniqueId from NCCL_COMM_ID (NCCL's bootstrap.cc: the id is that address and a fixed
// magic; rank 0 starts the bootstrap root there in ncclCommInitRank).
void launch_nccl_comm_id(const LaunchOptions& opts, const LaunchEnv& env, const RankFn& fn);
#ifdef BB_HAVE_MPI
void launch_nccl_mpi(const LaunchOptions& opts, const RankFn& fn);
#endif

}  // namespace bb
