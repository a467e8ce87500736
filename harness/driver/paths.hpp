#pragma once
// The sweep's NCCL path axis and GEMM contention (docs/nccl-paths.md): the up-front refusals,
// the per-rank GEMM load, and the environment JSON they add (a config's path and contention
// fields are its record's: results/records.hpp).
#include <nlohmann/json.hpp>

#include "driver/options.hpp"
#include "run/round_trip.hpp"
#include "device/device.hpp"

namespace bb {

// Refuses, before anything runs, a path or contention the resolved backend cannot have
// (Error bad_flag naming the backend) and a path the running NCCL is too old for (nccl_too_old).
void check_bench_paths(const BenchOptions& o, const std::string& backend);
// This rank's GEMM load (one per GPU, made on first use; its exact case checked then: a wrong
// or skipped GEMM throws Error("gemm_check_failed")). nullptr without CUDA.
ConcurrentLoad* rank_gemm_load(Device& dev);
// The exact checks run so far, for the environment JSON.
nlohmann::ordered_json gemm_load_json();
// The environment variables that change which path NCCL takes (NCCL_CTA_POLICY overrides the
// communicator config, init.cc), as set for this run (null when unset).
nlohmann::ordered_json path_env_json();

}  // namespace bb
