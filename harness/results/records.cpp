#include "results/records.hpp"

#include <algorithm>

#include "comm/backend.hpp"
#include "plan/exchange.hpp"

namespace bb {

namespace {

// The strategy's byte model of every rank of the bridge, made once per record.
std::vector<ByteModel> rank_models(const Plan& plan, const BridgeShape& shape, const Strategy& strategy) {
  std::vector<ByteModel> models;
  for (int r = plan.offset(); r < plan.offset() + plan.size(); ++r) models.push_back(strategy.byte_model(plan, shape, r));
  return models;
}

ByteModelRecord byte_model_from(const std::vector<ByteModel>& models, const Plan& plan, const BridgeShape& shape) {
  std::array<PhaseBytes, kPhaseCount> most{};
  ByteModelRecord out;
  const int64_t cb = cell_bytes(plan, shape.s, shape.h, int64_t(dtype_size(shape.dtype)));
  for (size_t i = 0; i < models.size(); ++i) {
    const ByteModel& m = models[i];
    int64_t c = 0, pad = 0;
    for (int p = 0; p < kPhaseCount; ++p) {
      auto& x = most[size_t(p)];
      if (x.op.empty()) x.op = m[size_t(p)].op;
      x.bytes = std::max(x.bytes, m[size_t(p)].bytes);
      x.padding = std::max(x.padding, m[size_t(p)].padding);
      c += m[size_t(p)].bytes;
      pad += m[size_t(p)].padding;
    }
    out.comm = std::max(out.comm, c);
    out.padding = std::max(out.padding, pad);
    const MinCells mc = min_cells(plan, plan.offset() + int(i), shape.b);
    out.min = std::max(out.min, (mc.forward + mc.backward) * cb);
  }
  for (int p = 0; p < kPhaseCount; ++p)
    if (!most[size_t(p)].op.empty())
      out.phases.push_back({Phase(p), most[size_t(p)].op, most[size_t(p)].bytes, most[size_t(p)].padding});
  return out;
}

// A measured phase: its work, samples and floor. A collective's bytes differ by rank for some
// strategies: the declared maximum over the bridge's ranks (tests hold it equal to what each
// rank moves); a local phase is rank 0's.
PhaseRecord phase_record(int p, const RunResult& r, const std::vector<ByteModel>& models, const Floors& floors) {
  const PhaseWork& w = r.work[size_t(p)];
  PhaseRecord ph;
  ph.phase = Phase(p);
  ph.kind = w.kind;
  ph.op = w.op;
  ph.group_size = w.group_size;
  int64_t most = 0, padding = 0;
  for (const auto& m : models) {
    most = std::max(most, m[size_t(p)].bytes);
    padding = std::max(padding, m[size_t(p)].padding);
  }
  const bool coll = ph.collective();
  ph.bytes_per_rank = coll ? std::max(w.bytes, most) : w.bytes;
  ph.padding_bytes_per_rank = coll ? padding : 0;
  ph.bw_bytes = coll ? double(w.coll_bytes) : double(w.bytes);
  ph.bus_factor = coll ? w.bus_factor : 1.0;
  ph.floor = phase_floor(floors, coll, ph.bytes_per_rank);
  ph.samples_ms = r.phase_ms[size_t(p)];
  ph.launch_samples_ms = r.phase_launch_ms[size_t(p)];
  ph.gpu_busy_ms = r.gpu_busy_ms[size_t(p)];
  ph.path_used = r.path_used[size_t(p)];
  ph.activity = r.activity[size_t(p)];
  if (r.contended) ph.contended_samples_ms = r.contended_phase_ms[size_t(p)];
  return ph;
}

}  // namespace

ByteModelRecord byte_model_of(const Plan& plan, const BridgeShape& shape, const Strategy& strategy) {
  return byte_model_from(rank_models(plan, shape, strategy), plan, shape);
}

ConfigRecord config_record(const ConfigKey& key, const LayoutCase& layout, const Plan& plan, const Audit& audit,
                           const Strategy& strategy, const RunResult& r, const std::string& backend,
                           const Floors& floors) {
  require_complete_check(r.check);  // the writer refuses what the oracle did not see
  ConfigRecord c;
  c.key = key;
  c.id = key.id();
  c.layout = layout;
  c.direction = plan.direction;
  c.scale = plan.scale;
  c.dest_cp = plan.dest_cp;
  c.tensor_bytes = check_config_bytes(plan, key.shape);
  c.backend = backend;
  c.emulated = backend_traits(backend).emulated;
  c.check = r.check;
  c.audit = audit;
  c.iterations = int(r.total_ms.size());
  c.warmup = r.warmup_used;
  c.buffer_sets = r.buffer_sets;
  c.gate_expiries = r.gate_expiries;
  c.cadence = r.cadence;
  c.total_ms = r.total_ms;
  c.launch_skew_ms = r.launch_skew_ms;
  c.launch_ms = r.launch_ms;
  c.repetition_sizes = {r.total_ms.size()};
  const std::vector<ByteModel> models = rank_models(plan, key.shape, strategy);
  double moved = 0;  // every phase's traffic through memory: a collective's bytes twice
  for (int p = 0; p < kPhaseCount; ++p) {
    const PhaseWork& w = r.work[size_t(p)];
    if (!w.used || w.op.empty()) continue;
    c.phases.push_back(phase_record(p, r, models, floors));
    moved += (c.phases.back().collective() ? 2.0 : 1.0) * double(c.phases.back().bytes_per_rank);
  }
  if (floors.shared_copy_GBps > 0) c.shared_floor_ms = moved * plan.size() / (floors.shared_copy_GBps * 1e6);
  c.peak_device_bytes = r.peak_bytes;
  c.byte_model = byte_model_from(models, plan, key.shape);
  c.path = {r.nccl_path, r.path_registered, r.path_setup_ms, r.activity_measured};
  c.contention = {r.contended,         r.contended_total_ms, r.load_alone_tflops,
                  r.load_under_tflops, r.load_window_ms,     r.load_lost_ms_per_iter};
  return c;
}

}  // namespace bb
