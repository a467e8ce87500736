#include "results/results.hpp"

#include "results/output_file.hpp"

#include "core/checked.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <unistd.h>

#include "comm/backend.hpp"
#include "plan/exchange.hpp"

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

nlohmann::ordered_json phase_table_json() {
  nlohmann::ordered_json t = nlohmann::ordered_json::array();
  for (int k = 0; k < kPhaseCount; ++k) {
    const PhaseInfo& p = phase_info(Phase(k));
    char rgb[8];
    std::snprintf(rgb, sizeof rgb, "#%06X", unsigned(p.argb & 0xFFFFFFu));
    t.push_back({{"name", p.name}, {"role", p.role}, {"color", rgb}});
  }
  return t;
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

void require_complete_check(const CheckOutcome& c) {
  if (c.elements_checked <= 0)
    throw Error("incomplete_check", "the oracle checked 0 elements of this config (" +
                                        std::to_string(c.tensors_checked) +
                                        " tensors on rank 0): a result that was not checked is not reported as correct");
  if (c.elements_expected > 0 && c.elements_checked < c.elements_expected)
    throw Error("incomplete_check", "the oracle checked " + std::to_string(c.elements_checked) + " of the " +
                                        std::to_string(c.elements_expected) +
                                        " elements the bridge's tensors hold over its member ranks");
}

Floor phase_floor(const Floors& f, bool collective, int64_t bytes) {
  Floor fl;
  if (collective && f.collectives_over_links) {
    if (!f.no_link_floor.empty()) {
      fl.known = false;
      fl.basis = "none: " + f.no_link_floor;
      return fl;
    }
    fl.ms = double(bytes) / (f.link_GBps * 1e6);
    fl.basis = f.link_class;
  } else {
    fl.ms = (collective ? 2.0 * double(bytes) : double(bytes)) * f.ranks_per_memory / (f.copy_GBps * 1e6);
  }
  return fl;
}

nlohmann::ordered_json byte_model_json(const Plan& plan, const BridgeShape& shape, const Strategy& strategy) {
  using oj = nlohmann::ordered_json;
  std::array<PhaseBytes, kPhaseCount> most{};
  int64_t comm = 0, padding = 0, min = 0;
  const int64_t cb = cell_bytes(plan, shape.s, shape.h, int64_t(dtype_size(shape.dtype)));
  for (int r = plan.offset(); r < plan.offset() + plan.size(); ++r) {
    const ByteModel m = strategy.byte_model(plan, shape, r);
    int64_t c = 0, pad = 0;
    for (int p = 0; p < kPhaseCount; ++p) {
      auto& x = most[size_t(p)];
      if (x.op.empty()) x.op = m[size_t(p)].op;
      x.bytes = std::max(x.bytes, m[size_t(p)].bytes);
      x.padding = std::max(x.padding, m[size_t(p)].padding);
      c += m[size_t(p)].bytes;
      pad += m[size_t(p)].padding;
    }
    comm = std::max(comm, c);
    padding = std::max(padding, pad);
    const MinCells mc = min_cells(plan, r, shape.b);
    min = std::max(min, (mc.forward + mc.backward) * cb);
  }
  oj phases = oj::array();
  for (int p = 0; p < kPhaseCount; ++p)
    if (!most[size_t(p)].op.empty())
      phases.push_back({{"name", phase_name(Phase(p))},
                        {"op", most[size_t(p)].op},
                        {"bytes_per_rank", most[size_t(p)].bytes},
                        {"padding_bytes_per_rank", most[size_t(p)].padding}});
  oj j;
  j["phases"] = phases;
  j["comm_bytes_per_rank"] = comm;
  j["padding_bytes_per_rank"] = padding;
  j["min_bytes_per_rank"] = min;
  j["over_min"] = min > 0 ? oj(double(comm) / double(min)) : oj(nullptr);
  return j;
}

// The config's shape: b, s, h, the memory order ("mem", schema version 3; was "layout"), the
// dtype and the per-rank bytes of the src and dest tensors.
static nlohmann::ordered_json shape_json(const BridgeShape& sh, const ConfigBytes& cb) {
  return {{"b", sh.b},
          {"s", sh.s},
          {"h", sh.h},
          {"mem", mem_order_name(sh.mem)},
          {"dtype", dtype_name(sh.dtype)},
          {"src_bytes_per_rank", cb.src},
          {"dest_bytes_per_rank", cb.dest}};
}

static nlohmann::ordered_json check_json(const CheckOutcome& c) {
  return {{"tensors_checked", c.tensors_checked},
          {"elements_checked", c.elements_checked},
          {"elements_expected", c.elements_expected},
          {"mismatches", c.mismatches},
          {"failing_ranks", c.failing_ranks}};
}

static nlohmann::ordered_json audit_json(const Audit& audit) {
  nlohmann::ordered_json a;
  a["ok"] = audit.ok;
  if (audit.first)
    a["first_misrouted"] = {{"rank", audit.first->rank}, {"receives", audit.first->receives}, {"owns", audit.first->owns},
                            {"truncated", audit.first->truncated}};
  else
    a["first_misrouted"] = nullptr;
  return a;
}

// The measured phases in execution order, each with its bytes, bandwidths and floor; `floor_ms`
// gets the sum of their floors.
static nlohmann::ordered_json phases_json(const Plan& plan, const BridgeShape& shape, const Strategy& strategy,
                                          const RunResult& r, const Floors& floors, double* floor_ms) {
  using oj = nlohmann::ordered_json;
  std::vector<ByteModel> models;
  for (int rk = plan.offset(); rk < plan.offset() + plan.size(); ++rk) models.push_back(strategy.byte_model(plan, shape, rk));
  auto model_max = [&](int p, int64_t PhaseBytes::*f) {
    int64_t m = 0;
    for (const auto& bm : models) m = std::max(m, bm[size_t(p)].*f);
    return m;
  };
  oj phases = oj::array();
  *floor_ms = 0;
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
    // A collective's bytes differ by rank for some strategies: the declared maximum over the
    // bridge's ranks (tests hold it equal to what each rank moves); a local phase is rank 0's.
    const int64_t bytes = coll ? std::max(w.bytes, model_max(p, &PhaseBytes::bytes)) : w.bytes;
    ph["bytes_per_rank"] = bytes;
    if (coll) ph["padding_bytes_per_rank"] = model_max(p, &PhaseBytes::padding);
    const double size = coll ? double(w.coll_bytes) : double(w.bytes);
    const double algbw = med > 0 ? size / (med * 1e6) : 0.0;  // GB/s
    ph["algbw_GBps"] = algbw;
    ph["busbw_GBps"] = coll ? algbw * w.bus_factor : algbw;
    const Floor fl = phase_floor(floors, coll, bytes);
    ph["floor_basis"] = fl.basis;
    ph["floor_ms"] = fl.known ? oj(fl.ms) : oj(nullptr);
    ph["floor_ratio"] = fl.known ? oj(med > 0 ? fl.ms / med : 0.0) : oj(nullptr);
    ph["launch_ms"] = stats_of(r.phase_launch_ms[size_t(p)]).median;
    const double busy = r.gpu_busy_ms[size_t(p)];
    ph["gpu_busy_ms"] = busy >= 0 ? oj(busy) : oj(nullptr);
    phases.push_back(ph);
    // One phase without a floor leaves the round trip without one (NaN: written as null).
    *floor_ms += fl.known ? fl.ms : std::numeric_limits<double>::quiet_NaN();
  }
  return phases;
}

// The config's bytes and floor from its phases: bytes_per_rank, floor_basis, floor_ms and
// floor_ratio, added to `j`.
static void add_floor_json(nlohmann::ordered_json& j, const nlohmann::ordered_json& phases, double phase_floor_ms,
                           const Plan& plan, const RunResult& r, const Floors& floors) {
  int64_t total_bytes = 0;
  double moved = 0;
  for (const auto& ph : phases) {
    const int64_t bytes = ph["bytes_per_rank"].get<int64_t>();
    total_bytes += bytes;
    moved += (ph["kind"] == "collective" ? 2.0 : 1.0) * double(bytes);
  }
  j["bytes_per_rank"] = total_bytes;
  // Ranks on one memory: the round trip also moves every member's bytes through it at once.
  const double shared_ms =
      floors.shared_copy_GBps > 0 ? moved * plan.size() / (floors.shared_copy_GBps * 1e6) : 0.0;
  if (std::isnan(phase_floor_ms)) {
    j["floor_basis"] = "none: " + floors.no_link_floor;
    j["floor_ms"] = nullptr;
    j["floor_ratio"] = nullptr;
    return;
  }
  j["floor_basis"] = shared_ms > phase_floor_ms ? "shared_memcpy" : "phases";
  const double floor_total = std::max(phase_floor_ms, shared_ms);
  j["floor_ms"] = floor_total;
  const double tmed = stats_of(r.total_ms).median;
  j["floor_ratio"] = tmed > 0 ? floor_total / tmed : 0.0;
}

nlohmann::ordered_json config_json(const ConfigKey& key, const LayoutCase& layout, const Plan& plan,
                                   const Audit& audit, const RunResult& r, const std::string& backend, int warmup,
                                   const Floors& floors) {
  require_complete_check(r.check);  // the writer refuses what the oracle did not see
  const ConfigBytes cb = check_config_bytes(plan, key.shape);
  nlohmann::ordered_json j;
  j["id"] = key.id();
  j["key"] = key.json();  // schema version 4: what the scripts group and match by
  j["layout"] = key.layout;  // the parallel layout (schema version 3; was "layout_name")
  j["world"] = plan.world;
  j["backend"] = backend;
  j["emulated"] = backend_traits(backend).emulated;
  j["src"] = sizes_json(layout.src);
  j["dest"] = sizes_json(layout.dest);
  j["src_order"] = layout.src_order;
  j["dest_order"] = layout.dest_order;
  j["direction"] = direction_name(plan.direction);
  j["scale"] = plan.scale;
  j["cp"] = plan.dest_cp;
  j["shape"] = shape_json(key.shape, cb);
  j["strategy"] = key.strategy;
  j["mode"] = run_mode_name(key.mode);
  j["correct"] = r.check.ok;
  j["check"] = check_json(r.check);
  j["audit"] = audit_json(audit);
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
  const auto strategy = make_strategy(key.strategy);
  double phase_floor_ms = 0;
  const nlohmann::ordered_json phases = phases_json(plan, key.shape, *strategy, r, floors, &phase_floor_ms);
  j["phases"] = phases;
  add_floor_json(j, phases, phase_floor_ms, plan, r, floors);
  j["peak_device_bytes"] = r.peak_bytes;
  j["byte_model"] = byte_model_json(plan, key.shape, *strategy);
  return j;
}

void write_json_atomic(const std::string& path, const nlohmann::ordered_json& j) {
  write_file_atomic(path, j.dump(1) + "\n");
}

}  // namespace bb
