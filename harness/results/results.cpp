#include "results/results.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <unistd.h>

namespace bb {

Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front();
  s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(n);
  return s;
}

static nlohmann::ordered_json stats_json(const std::vector<double>& v) {
  Stats s = stats_of(v);
  nlohmann::ordered_json j;
  j["median_ms"] = s.median;
  j["min_ms"] = s.min;
  j["max_ms"] = s.max;
  j["mean_ms"] = s.mean;
  j["samples_ms"] = v;
  return j;
}

static nlohmann::ordered_json sizes_json(const std::map<std::string, int>& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const char* d : {"tp", "cp", "pp", "dp"})
    if (m.count(d)) j[d] = m.at(d);
  return j;
}

nlohmann::ordered_json config_json(const SweepPoint& pt, const Plan& plan, const Audit& audit, const RunResult& r,
                                   const std::string& backend, const std::string& mode, int warmup,
                                   const Floors& floors) {
  using oj = nlohmann::ordered_json;
  oj j;
  j["id"] = pt.id();
  j["layout_name"] = pt.layout.name;
  j["world"] = plan.world;
  j["backend"] = backend;
  j["emulated"] = backend == "emulate";
  j["src"] = sizes_json(pt.layout.src);
  j["dest"] = sizes_json(pt.layout.dest);
  j["src_order"] = pt.layout.src_order;
  j["dest_order"] = pt.layout.dest_order;
  j["direction"] = direction_name(plan.direction);
  j["scale"] = plan.scale;
  j["cp"] = plan.dest_cp;
  const int64_t es = int64_t(dtype_size(pt.shape.dtype));
  const int64_t src_bytes = pt.shape.b * pt.shape.s * pt.shape.h * es;
  j["shape"] = {{"b", pt.shape.b},
                {"s", pt.shape.s},
                {"h", pt.shape.h},
                {"layout", layout_name(pt.shape.layout)},
                {"dtype", dtype_name(pt.shape.dtype)},
                {"src_bytes_per_rank", src_bytes},
                {"dest_bytes_per_rank", dest_batch_for(plan, pt.shape.b) * pt.shape.s * pt.shape.h * es}};
  j["strategy"] = pt.strategy;
  j["mode"] = mode;
  j["correct"] = r.check.ok;
  j["check"] = {{"tensors_checked", r.check.tensors_checked},
                {"elements_checked", r.check.elements_checked},
                {"elements_expected", r.check.elements_expected},
                {"mismatches", r.check.mismatches},
                {"failing_ranks", r.check.failing_ranks}};
  oj a;
  a["ok"] = audit.ok;
  if (audit.first)
    a["first_misrouted"] = {{"rank", audit.first->rank}, {"receives", audit.first->receives}, {"owns", audit.first->owns}};
  else
    a["first_misrouted"] = nullptr;
  j["audit"] = a;
  j["iterations"] = r.total_ms.size();
  j["warmup"] = warmup;
  j["buffer_sets"] = r.buffer_sets;
  j["cadence"] = cadence_name(r.cadence);
  j["total"] = stats_json(r.total_ms);
  // Host launch skew (latest minus earliest first launch of an iteration over the ranks) and
  // the slowest rank's time to enqueue an iteration: a slow host told apart from a slow NCCL.
  j["launch_skew"] = stats_json(r.launch_skew_ms);
  j["launch"] = stats_json(r.launch_ms);
  j["gate_expiries"] = r.gate_expiries;
  oj phases = oj::array();
  int64_t total_bytes = 0;
  double floor_total = 0;
  for (int p = 0; p < kPhaseCount; ++p) {
    const PhaseWork& w = r.work[size_t(p)];
    if (!w.used || w.op.empty()) continue;
    oj ph = stats_json(r.phase_ms[size_t(p)]);
    const double med = stats_of(r.phase_ms[size_t(p)]).median;
    const bool coll = w.kind == "collective";
    ph["name"] = phase_name(Phase(p));
    ph["kind"] = w.kind;
    ph["op"] = w.op;
    ph["group_size"] = w.group_size;
    ph["bytes_per_rank"] = w.bytes;
    const double size = coll ? double(w.coll_bytes) : double(w.bytes);
    const double algbw = med > 0 ? size / (med * 1e6) : 0.0;  // GB/s
    ph["algbw_GBps"] = algbw;
    ph["busbw_GBps"] = coll ? algbw * w.bus_factor : algbw;
    double floor_ms;
    if (coll && floors.collectives_over_links) {
      floor_ms = double(w.bytes) / (floors.link_GBps * 1e6);
      ph["floor_basis"] = "nvlink";
    } else {
      // Local copies, and collectives emulated as memory copies: read + write over copy bandwidth.
      // Ranks that share one memory share its bandwidth too.
      floor_ms = (coll ? 2.0 * double(w.bytes) : double(w.bytes)) * floors.ranks_per_memory /
                 (floors.copy_GBps * 1e6);
      ph["floor_basis"] = "memcpy";
    }
    ph["floor_ms"] = floor_ms;
    ph["floor_ratio"] = med > 0 ? floor_ms / med : 0.0;
    ph["launch_ms"] = stats_of(r.phase_launch_ms[size_t(p)]).median;
    const double busy = r.gpu_busy_ms[size_t(p)];
    ph["gpu_busy_ms"] = busy >= 0 ? oj(busy) : oj(nullptr);
    phases.push_back(ph);
    total_bytes += w.bytes;
    floor_total += floor_ms;
  }
  j["phases"] = phases;
  j["bytes_per_rank"] = total_bytes;
  j["floor_ms"] = floor_total;
  const double tmed = stats_of(r.total_ms).median;
  j["floor_ratio"] = tmed > 0 ? floor_total / tmed : 0.0;
  j["peak_device_bytes"] = r.peak_bytes;
  return j;
}

void write_json_atomic(const std::string& path, const nlohmann::ordered_json& j) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp);
    if (!f) throw Error("io_error", "cannot write " + tmp);
    f << j.dump(1) << "\n";
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error("io_error", "write to " + tmp + " failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("io_error", "cannot rename " + tmp + " to " + path);
  }
}

}  // namespace bb
