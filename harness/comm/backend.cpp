#include "comm/backend.hpp"

#include "comm/launch.hpp"
#include "comm/named_row.hpp"
#ifdef BB_HAVE_CUDA
#include "comm/gpu_launch.hpp"
#include "comm/nccl_comm.hpp"
#endif

namespace bb {

namespace {
#ifdef BB_HAVE_CUDA
constexpr auto kEmulateLaunch = launch_emulate;
constexpr auto kNcclLaunch = launch_nccl;
constexpr auto kNcclVersion = nccl_runtime_version;
#else
// A GPU backend in a build without CUDA: refused when launched, never half-run.
void launch_needs_cuda(const LaunchOptions& opts, const LaunchEnv&, const RankFn&) {
  throw Error("no_cuda", "backend '" + opts.backend + "' needs a build with CUDA");
}
constexpr auto kEmulateLaunch = launch_needs_cuda;
constexpr auto kNcclLaunch = launch_needs_cuda;
constexpr int (*kNcclVersion)() = nullptr;
#endif
}  // namespace

const std::vector<BackendTraits>& backends() {
  // Every field set in every row (tests/test_backend_table.cpp checks it).
  static const std::vector<BackendTraits> t{
      {"host", /*gpu=*/false, /*shares_memory=*/true, /*captures_graphs=*/false, /*over_links=*/false,
       /*emulated=*/false, /*one_gpu_per_rank=*/false, /*nccl_communicators=*/false, /*processes=*/false,
       /*auto_gpus=*/0, /*min_nccl_version=*/0, /*nccl_version=*/nullptr, /*launch=*/launch_host},
      {"emulate", true, true, false, false, true, false, false, false, 1, 0, nullptr, kEmulateLaunch},
      // ncclCommSplit (2.18): every group of a world is split from it.
      {"nccl", true, false, true, true, false, true, true, true, 2, 21800, kNcclVersion, kNcclLaunch},
  };
  return t;
}

const BackendTraits& backend_traits(const std::string& name) {
  return row_named(backends(), name, "bad_flag", "backend");
}

const BackendTraits* find_backend(const std::string& name) {
  for (const auto& b : backends())
    if (name == b.name) return &b;
  return nullptr;
}

}  // namespace bb
