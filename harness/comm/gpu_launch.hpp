#pragma once
// GPU side of launch(), built only with CUDA (harness/comm/gpu_launch.cpp).
#include "comm/launch.hpp"

namespace bb {

int gpu_count_impl();
void launch_emulate(const LaunchOptions& opts, const RankFn& fn);
void launch_nccl_threads(const LaunchOptions& opts, const RankFn& fn);
#ifdef BB_HAVE_MPI
void launch_nccl_mpi(const LaunchOptions& opts, const RankFn& fn);
#endif

}  // namespace bb
