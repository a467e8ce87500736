#include "measure/phases.hpp"

#include <chrono>

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

PhaseRecorder::PhaseRecorder(Device& dev, bool timing, bool nvtx, GpuActivity* cupti)
    : dev_(dev), timing_(timing), nvtx_(nvtx), cupti_(cupti) {}

void PhaseRecorder::begin_iteration(bool reset_marks) {
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
  return ms;
}

std::array<double, kPhaseCount> PhaseRecorder::launch_ms() const {
  std::array<double, kPhaseCount> ms{};
  for (const auto& [p, t] : host_spans_) ms[size_t(p)] += t.second - t.first;
  return ms;
}

double PhaseRecorder::total_ms() { return dev_.elapsed_ms(iter_begin_, iter_end_); }

}  // namespace bb
