#include "driver/progress.hpp"

#include <algorithm>
#include <cstdio>

namespace bb {

void EtaModel::plan(int kind, double work) {
  ++planned_[kind];
  planned_work_[kind] += work;
}

void EtaModel::done(int kind, double work, double seconds) { done_.push_back({kind, work, seconds}); }

double EtaModel::remaining_s() const {
  if (done_.empty()) return -1;
  // The overhead: a least-squares intercept, once the sizes done differ enough to show one.
  double lo = done_[0].work, hi = lo, fastest = done_[0].s, mw = 0, ms = 0;
  for (const Run& r : done_) {
    lo = std::min(lo, r.work), hi = std::max(hi, r.work), fastest = std::min(fastest, r.s);
    mw += r.work, ms += r.s;
  }
  const double n = double(done_.size());
  mw /= n, ms /= n;
  double a = 0;
  if (hi >= 2 * lo) {
    double sxx = 0, sxy = 0;
    for (const Run& r : done_) sxx += (r.work - mw) * (r.work - mw), sxy += (r.work - mw) * (r.s - ms);
    a = std::clamp(ms - sxy / sxx * mw, 0.0, fastest);
  }
  double work[2] = {0, 0}, net_s[2] = {0, 0};
  int count[2] = {0, 0};
  for (const Run& r : done_) work[r.kind] += r.work, net_s[r.kind] += r.s - a, ++count[r.kind];
  double rate[2];
  for (int k = 0; k < 2; ++k) rate[k] = count[k] && work[k] > 0 ? std::max(0.0, net_s[k]) / work[k] : -1;
  if (rate[1] < 0) rate[1] = rate[0] * kCollectiveRate;
  if (rate[0] < 0) rate[0] = rate[1] / kCollectiveRate;
  double eta = 0;
  for (int k = 0; k < 2; ++k)
    eta += a * std::max(0, planned_[k] - count[k]) + rate[k] * std::max(0.0, planned_work_[k] - work[k]);
  return eta;
}

void SweepProgress::plan(Kind kind, double work) {
  ++planned_[kind];
  eta_.plan(kind, work);
}

void SweepProgress::start(Kind kind, double work, const std::string& id) {
  const auto now = std::chrono::steady_clock::now();
  if (last_kind_ >= 0) eta_.done(last_kind_, last_work_, std::chrono::duration<double>(now - last_).count());
  last_kind_ = kind;
  last_work_ = work;
  last_ = now;
  ++started_[kind];
  const double eta = eta_.remaining_s();
  const double el = std::chrono::duration<double>(now - t0_).count();
  std::fprintf(stderr, "[%s %d/%d] %s  (elapsed %.0fs, eta %s)\n", kind == config ? "config" : "collective",
               started_[kind], planned_[kind], id.c_str(), el, eta >= 0 ? (std::to_string(int(eta + 0.5)) + "s").c_str() : "-");
}

}  // namespace bb
