#include "results/repetitions.hpp"

namespace bb {

namespace {

void append(std::vector<double>& to, const std::vector<double>& from) { to.insert(to.end(), from.begin(), from.end()); }

}  // namespace

void append_repetition(ConfigRecord& kept, const ConfigRecord& next) {
  append(kept.total_ms, next.total_ms);
  append(kept.launch_skew_ms, next.launch_skew_ms);
  append(kept.launch_ms, next.launch_ms);
  append(kept.contention.total_ms, next.contention.total_ms);
  append(kept.phase_delay_us, next.phase_delay_us);
  kept.repetition_sizes.push_back(next.total_ms.size());
  kept.gate_expiries += next.gate_expiries;  // an expiry in any repetition taints the merged samples
  for (auto& p : kept.phases)
    for (const auto& q : next.phases)
      if (q.phase == p.phase) {
        append(p.samples_ms, q.samples_ms);
        append(p.launch_samples_ms, q.launch_samples_ms);
        append(p.contended_samples_ms, q.contended_samples_ms);
      }
}

void append_repetition(CollectiveRecord& kept, const CollectiveRecord& next) {
  append(kept.ms, next.ms);
  append(kept.in_place_ms, next.in_place_ms);
  append(kept.suite_ms, next.suite_ms);
  append(kept.single_ms, next.single_ms);
  append(kept.launch_skew_ms, next.launch_skew_ms);
  kept.repetition_sizes.push_back(next.ms.size());
  kept.wrong += next.wrong;
}

}  // namespace bb
