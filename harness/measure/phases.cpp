#include "measure/phases.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "comm/comm.hpp"
#include "core/error.hpp"
#include "device/device.hpp"
#if __has_include("measure/nvtx.hpp")
#include "measure/nvtx.hpp"
#define BB_HAS_NVTX_WRAPPER 1
#endif
#ifdef BB_HAVE_CUDA
#include "measure/gpu_activity.hpp"
#endif

namespace bb {
namespace {
double host_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

const PhaseInfo& phase_info(Phase p) {
#define BB_PHASE_ROW(name, role, argb) {#name, role, argb},
  static const PhaseInfo rows[kPhaseCount] = {BB_PHASE_TABLE(BB_PHASE_ROW)};
#undef BB_PHASE_ROW
  return rows[int(p)];
}

bool find_phase(const std::string& name, Phase* out) {
  for (int p = 0; p < kPhaseCount; ++p)
    if (name == phase_info(Phase(p)).name) {
      *out = Phase(p);
      return true;
    }
  return false;
}

std::string phase_names() {
  std::string s;
  for (int p = 0; p < kPhaseCount; ++p) s += std::string(p ? ", " : "") + phase_info(Phase(p)).name;
  return s;
}

PhaseDelay parse_phase_delay(const std::string& flag, const std::string& v) {
  const auto colon = v.find(':');
  if (colon == std::string::npos)
    throw Error("bad_flag", flag + " is PHASE:PCT (e.g. fwd_comm:5), got '" + v + "'");
  PhaseDelay d;
  const std::string name = v.substr(0, colon);
  if (!find_phase(name, &d.phase))
    throw Error("bad_flag", flag + ": unknown phase '" + name + "' (use " + phase_names() + ")");
  const std::string pct = v.substr(colon + 1);
  char* end = nullptr;
  d.pct = pct.empty() ? -1 : std::strtod(pct.c_str(), &end);
  if (pct.empty() || *end != '\0' || !(d.pct > 0 && d.pct <= 100))
    throw Error("bad_flag", flag + " needs 0 < PCT <= 100 (percent of the phase's warm-up median), got '" + pct + "'");
  return d;
}

PhaseRecorder::PhaseRecorder(Device& dev, bool timing, bool nvtx, GpuActivity* cupti)
    : dev_(dev), timing_(timing), nvtx_(nvtx), cupti_(cupti) {}

void PhaseRecorder::begin_iteration(bool reset_marks) {
  delayed_ = false;
  spans_.clear();
  host_spans_.clear();
  if (timing_) {
    if (reset_marks) dev_.reset_marks();
    iter_begin_ = dev_.mark();
  }
}

void PhaseRecorder::end_iteration() {
  if (open_) end();
  if (timing_) iter_end_ = dev_.mark();
}

void PhaseRecorder::begin(Phase p) {
  if (open_) end();
  current_ = p;
  open_ = true;
  work_[size_t(p)].used = true;
#ifdef BB_HAS_NVTX_WRAPPER
  if (nvtx_) nvtx::range_push(phase_name(p));
#endif
#ifdef BB_HAVE_CUDA
  if (cupti_) cupti_->push_phase(uint64_t(p) + 1, dev_.native_stream());
#endif
  if (timing_) {
    host_spans_.push_back({p, {host_ms(), 0.0}});
    spans_.push_back({p, {dev_.mark(), -1}});
  }
}

void PhaseRecorder::end() {
  if (!open_) return;
  open_ = false;
  if (timing_) {
    if (delay_us_ > 0 && current_ == delay_.phase && !delayed_) {
      dev_.wait_us(delay_us_);  // inside the phase's span: its end mark comes after
      delayed_ = true;
    }
    spans_.back().second.second = dev_.mark();
    host_spans_.back().second.second = host_ms();
  }
#ifdef BB_HAVE_CUDA
  if (cupti_) cupti_->pop_phase();
#endif
#ifdef BB_HAS_NVTX_WRAPPER
  if (nvtx_) nvtx::range_pop();
#endif
}

std::array<double, kPhaseCount> PhaseRecorder::phase_ms() {
  std::array<double, kPhaseCount> ms{};
  for (const auto& [p, m] : spans_) ms[size_t(p)] += dev_.elapsed_ms(m.first, m.second);
  if (delay_.on() && !armed_) warm_ms_.push_back(ms[size_t(delay_.phase)]);
  return ms;
}

void PhaseRecorder::plan_delay(const PhaseDelay& d) {
  delay_ = d;
  if (d.on()) dev_.wait_us(0);
}

void PhaseRecorder::arm_delay(Comm& world) {
  if (!delay_.on() || armed_) return;
  double median = 0;
  std::sort(warm_ms_.begin(), warm_ms_.end());
  const size_t n = warm_ms_.size();
  if (n) median = (warm_ms_[(n - 1) / 2] + warm_ms_[n / 2]) / 2;
  // Ranks outside the bridge kept no samples (0); the phase's time is its slowest member's.
  delay_us_ = world.max_over_ranks(median) * 1e3 * delay_.pct / 100;
  armed_ = true;
  warm_ms_.clear();
}

std::array<double, kPhaseCount> PhaseRecorder::launch_ms() const {
  std::array<double, kPhaseCount> ms{};
  for (const auto& [p, t] : host_spans_) ms[size_t(p)] += t.second - t.first;
  return ms;
}

double PhaseRecorder::total_ms() { return dev_.elapsed_ms(iter_begin_, iter_end_); }

}  // namespace bb
