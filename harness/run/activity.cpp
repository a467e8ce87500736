#include "run/activity.hpp"

#include <algorithm>

#ifdef BB_HAVE_CUDA
#include "measure/gpu_activity.hpp"
#endif

namespace bb {

#ifdef BB_HAVE_CUDA
namespace {

// Rank 0: per phase the busiest GPU's time per iteration (the emulation's ranks share one GPU)
// and the merged activity counts. Records of ids that are no phase are not the bridge's.
void take_cupti_records(const RunOptions& o, std::array<double, kPhaseCount>& busy,
                        std::array<PhaseActivity, kPhaseCount>& act) {
  for (const auto& [key, ms] : o.cupti->take_busy_ms()) {
    if (key.first < 1 || key.first > uint64_t(kPhaseCount)) continue;
    busy[size_t(key.first - 1)] = std::max(busy[size_t(key.first - 1)], ms / o.iterations);
  }
  for (const auto& [key, a] : o.cupti->last_counts())
    if (key.first >= 1 && key.first <= uint64_t(kPhaseCount)) act[size_t(key.first - 1)].merge(a);
}

}  // namespace
#endif

std::function<void()> drop_warmup_activity(const RunContext& cx) {
#ifdef BB_HAVE_CUDA
  if (cx.opts.cupti)
    return [&cx] {
      cx.world.barrier();
      if (cx.rank == 0) cx.opts.cupti->take_busy_ms();
      cx.world.barrier();
    };
#endif
  (void)cx;
  return {};
}

void read_gpu_activity(const RunContext& cx, RunResult& res) {
  res.gpu_busy_ms.fill(-1.0);
#ifdef BB_HAVE_CUDA
  std::array<PhaseActivity, kPhaseCount> act{};
  const bool counted = cx.opts.cupti && !cx.opts.graph;
  if (counted) {
    cx.world.barrier();
    std::array<double, kPhaseCount> busy{};
    if (cx.rank == 0) take_cupti_records(cx.opts, busy, act);
    std::vector<double> b(kPhaseCount, -1.0);
    if (cx.rank == 0) b.assign(busy.begin(), busy.end());
    b = cx.world.max_over_ranks_each(std::move(b));
    for (int p = 0; p < kPhaseCount; ++p) res.gpu_busy_ms[size_t(p)] = b[size_t(p)];
  }
  res.activity_measured = counted;
  if (cx.rank == 0) res.activity = act;
#else
  (void)cx;
#endif
}

void detect_paths(const RunOptions& opts, RunResult& res) {
  for (int p = 0; p < kPhaseCount; ++p) {
    const PhaseWork& w = res.work[size_t(p)];
    if (w.used && w.kind == "collective")
      res.path_used[size_t(p)] = detect_path_used(opts.nccl_path, res.activity[size_t(p)], w.group_size,
                                                  res.path_registered, res.activity_measured);
  }
}

}  // namespace bb
