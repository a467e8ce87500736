#include "driver/progress.hpp"

#include <algorithm>
#include <cstdio>

namespace bb {

void SweepProgress::plan(Kind kind, double cost) {
  ++planned_[kind];
  planned_cost_[kind] += cost;
}

void SweepProgress::start(Kind kind, double cost, const std::string& id) {
  const auto now = std::chrono::steady_clock::now();
  if (last_kind_ >= 0) {
    spent_s_[last_kind_] += std::chrono::duration<double>(now - last_).count();
    done_cost_[last_kind_] += last_cost_;
  }
  last_kind_ = kind;
  last_cost_ = cost;
  last_ = now;
  ++started_[kind];
  double rate[2];
  for (int i = 0; i < 2; ++i) rate[i] = done_cost_[i] > 0 ? spent_s_[i] / done_cost_[i] : -1;
  for (int i = 0; i < 2; ++i)
    if (rate[i] < 0) rate[i] = std::max(0.0, rate[1 - i]);
  double eta = 0;
  for (int i = 0; i < 2; ++i) eta += rate[i] * std::max(0.0, planned_cost_[i] - done_cost_[i]);
  const bool known = done_cost_[0] + done_cost_[1] > 0;
  const double el = std::chrono::duration<double>(now - t0_).count();
  std::fprintf(stderr, "[%s %d/%d] %s  (elapsed %.0fs, eta %s)\n", kind == config ? "config" : "collective",
               started_[kind], planned_[kind], id.c_str(), el, known ? (std::to_string(int(eta + 0.5)) + "s").c_str() : "-");
}

}  // namespace bb
