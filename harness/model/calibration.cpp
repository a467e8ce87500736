#include "model/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace bb {

int latency_hops(CollOp op, int n) { return collective(op).latency_hops(n); }

double medium_bytes_factor(Medium m, CollOp op, int n, Placement where) {
  return m != Medium::shared || n < 2 ? 1.0 : collective(op).shared_medium_factor(n, where);
}

namespace {

// Solves the weighted 2x2 normal equations of t = a*h + b*x; false when singular.
bool solve2(const std::vector<FitPoint>& pts, bool with_alpha, double* a, double* b) {
  double shh = 0, shx = 0, sxx = 0, sht = 0, sxt = 0;
  for (const auto& p : pts) {
    const double w = 1.0 / (p.measured_us * p.measured_us), h = latency_hops(p.op, p.group_size), x = p.link_bytes;
    shh += w * h * h;
    shx += w * h * x;
    sxx += w * x * x;
    sht += w * h * p.measured_us;
    sxt += w * x * p.measured_us;
  }
  if (!with_alpha) {
    if (sxx <= 0) return false;
    *a = 0;
    *b = sxt / sxx;
    return true;
  }
  const double det = shh * sxx - shx * shx;
  if (std::fabs(det) <= 1e-12 * shh * sxx) return false;
  *a = (sht * sxx - sxt * shx) / det;
  *b = (shh * sxt - shx * sht) / det;
  return true;
}

std::string fit_label(const std::vector<FitPoint>& pts) {
  double lo = 1e300, hi = 0;
  for (const auto& p : pts) lo = std::min(lo, p.link_bytes), hi = std::max(hi, p.link_bytes);
  char buf[160];
  std::snprintf(buf, sizeof buf, "fit of %zu points, %.3g to %.3g bytes on the link", pts.size(), lo, hi);
  return buf;
}

}  // namespace

LinkFit fit_link(std::vector<FitPoint> pts) {
  if (pts.empty()) throw Error("bad_calibration", "nothing to fit: no measured points");
  for (const auto& p : pts)
    if (!(p.measured_us > 0) || !(p.link_bytes > 0))
      throw Error("bad_calibration", "point " + p.source + " has a time or size that is not positive");
  double a = 0, b = 0;
  std::string note;
  if (pts.size() == 1) {  // one size cannot split latency from bandwidth: the default's latency
    a = default_fit(pts[0].op, pts[0].link).alpha_us;
    const double rest = pts[0].measured_us - a * latency_hops(pts[0].op, pts[0].group_size);
    b = rest > 0 ? rest / pts[0].link_bytes : pts[0].measured_us / pts[0].link_bytes;
    if (rest <= 0) a = 0;
    note = " (one size: latency per hop from the default)";
  } else if (!solve2(pts, true, &a, &b) || a < 0 || b <= 0) {
    if (!solve2(pts, false, &a, &b) || b <= 0)
      throw Error("bad_calibration", std::string("no positive bandwidth fits the ") + collective(pts[0].op).name + " " +
                                         link_name(pts[0].link) + " points (" + pts[0].source + ", ...)");
  }
  LinkFit f;
  f.alpha_us = a;
  f.beta_GBps = 1.0 / (b * 1e3);  // b is us per byte
  f.calibrated = true;
  f.source = fit_label(pts) + note;
  for (auto& p : pts) {
    p.fitted_us = f.time_us(p.op, p.group_size, p.link_bytes);
    p.residual = p.fitted_us / p.measured_us - 1.0;
  }
  f.points = std::move(pts);
  return f;
}

Calibration fit_all(const std::vector<FitPoint>& points, const CopyFit& copy, std::vector<std::string> sources,
                    const TimerFloor& floor) {
  std::map<std::pair<CollOp, LinkClass>, std::vector<FitPoint>> by;
  for (const auto& p : points) by[{p.op, p.link}].push_back(p);
  Calibration c;
  c.copy = copy;
  c.floor = floor;
  c.sources = std::move(sources);
  for (auto& [key, pts] : by) c.fits[key] = fit_link(std::move(pts));
  return c;
}

// Defaults, uncalibrated (docs/cost-model.md, "The default calibration"). Bandwidths are bytes on
// the link per rank per second, i.e. nccl-tests' busbw: NVLink 4 moves 450 GB/s per direction per
// GPU and NCCL's rings reach about 80% of it; a 400 Gb/s NIC is 50 GB/s, about 90% reachable.
// Latency per hop follows NCCL's tuner (src/graph/tuning.cc): Simple protocol NVLink hop 3.4 us,
// network hop 14 us (LL 0.6 / 2.7 us: small messages run faster than this default says).
LinkFit default_fit(CollOp op, LinkClass link) {
  LinkFit f;
  switch (link) {
    case LinkClass::nvlink:
      f.alpha_us = 3.4;
      f.beta_GBps = op == CollOp::all_reduce ? 360 : 370;
      break;
    case LinkClass::network:
      f.alpha_us = 14;
      f.beta_GBps = 45;
      break;
    case LinkClass::shared:  // one GPU's copies: a received byte is read and written, 2600/2
      f.alpha_us = 8;
      f.beta_GBps = 1300;
      break;
    case LinkClass::socket:  // loopback TCP through host memory
      f.alpha_us = 40;
      f.beta_GBps = 3;
      break;
  }
  f.calibrated = false;
  f.source = std::string("default for ") + link_name(link) + " (uncalibrated)";
  return f;
}

// Recorded empty round trips of this project's runs (none of them a held-out file of the model's
// validation): one rank on an H100 or H200 1.2 to 3.6 us (reports/nccl-world1-h100,
// reports/vocabulary-h200); four processes on one H100 under MPS 2.4 to 2.9 us
// (reports/rehearsal-h100/np4_mpirun_mps_timed.json).
TimerFloor default_floor(Medium m) {
  TimerFloor f;
  f.us = m == Medium::socket ? 2.7 : 2.0;
  f.source = m == Medium::socket ? "default: 4 processes on one H100 under MPS, recorded empty round trip (uncalibrated)"
                                 : "default: one H100/H200, recorded empty round trips 1.2-3.6 us (uncalibrated)";
  return f;
}

TimerFloor floor_of(std::vector<double> ms, const std::string& source) {
  TimerFloor f;
  ms.erase(std::remove_if(ms.begin(), ms.end(), [](double v) { return !(v > 0); }), ms.end());
  if (ms.empty()) return f;
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  f.us = 1e3 * (ms[(n - 1) / 2] + ms[n / 2]) / 2;
  f.calibrated = true;
  char buf[64];
  std::snprintf(buf, sizeof buf, "median of %zu empty round trips of ", n);
  f.source = buf + source;
  return f;
}

Calibration default_calibration() {
  Calibration c;
  c.sources.push_back("default: H100/H200 NVLink 4 + 400 Gb/s InfiniBand per GPU (uncalibrated)");
  return c;
}

LinkFit Calibration::lookup(CollOp op, LinkClass link) const {
  if (auto it = fits.find({op, link}); it != fits.end()) return it->second;
  if (op == CollOp::all_to_all || op == CollOp::send_recv)
    for (CollOp o : {CollOp::all_to_all, CollOp::all_gather})
      if (auto it = fits.find({o, link}); it != fits.end()) {
        LinkFit f = it->second;
        f.source = std::string("borrowed from ") + collective(o).name + ": " + f.source;
        f.points.clear();
        return f;
      }
  return default_fit(op, link);
}

bool Calibration::calibrated(CollOp op, LinkClass link) const { return lookup(op, link).calibrated; }

}  // namespace bb
