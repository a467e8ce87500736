#pragma once
// GPU part of the environment capture (built with CUDA only).
#include <nlohmann/json.hpp>

namespace bb {

// gpus[], gpu_count, driver_version, cuda_runtime, nccl_version, topology.
nlohmann::ordered_json gpu_environment_json();
// cudaMemcpy device-to-device bandwidth on GPU `ordinal`, bytes read + written, GB/s (median).
double gpu_copy_bandwidth_GBps(int ordinal);
// Keeps every visible GPU busy with copies for about `ms` so a sweep starts at steady clocks.
void gpu_warm_up(double ms);
// Size of the L2 cache of GPU `ordinal` (bytes), for buffer rotation.
int64_t gpu_l2_bytes(int ordinal);

}  // namespace bb
