#include "results/records_json.hpp"

namespace bb {

using oj = nlohmann::ordered_json;

namespace {

oj stats_json(const Stats& s, const std::vector<double>& samples) {
  return {{"median_ms", s.median}, {"min_ms", s.min}, {"max_ms", s.max}, {"mean_ms", s.mean}, {"samples_ms", samples}};
}

oj or_null(const std::optional<double>& v) { return v ? oj(*v) : oj(nullptr); }

oj sizes_json(const std::map<std::string, int>& m) {
  oj j = oj::object();
  for (const char* d : {"tp", "cp", "pp", "dp"})
    if (m.count(d)) j[d] = m.at(d);
  return j;
}

// The config's shape: b, s, h, the memory order ("mem", schema version 3; was "layout"), the
// dtype and the per-rank bytes of the src and dest tensors.
oj shape_json(const BridgeShape& sh, const ConfigBytes& cb) {
  return {{"b", sh.b},
          {"s", sh.s},
          {"h", sh.h},
          {"mem", mem_order_name(sh.mem)},
          {"dtype", dtype_name(sh.dtype)},
          {"src_bytes_per_rank", cb.src},
          {"dest_bytes_per_rank", cb.dest}};
}

oj check_json(const CheckOutcome& c) {
  return {{"tensors_checked", c.tensors_checked},
          {"elements_checked", c.elements_checked},
          {"elements_expected", c.elements_expected},
          {"mismatches", c.mismatches},
          {"failing_ranks", c.failing_ranks}};
}

oj audit_json(const Audit& audit) {
  oj a;
  a["ok"] = audit.ok;
  if (audit.first)
    a["first_misrouted"] = {{"rank", audit.first->rank}, {"receives", audit.first->receives}, {"owns", audit.first->owns},
                            {"truncated", audit.first->truncated}};
  else
    a["first_misrouted"] = nullptr;
  return a;
}

oj activity_json(const PhaseActivity& a) {
  return {{"nccl_kernels", a.nccl_kernels},   {"symmetric_kernels", a.symmetric_kernels},
          {"other_kernels", a.other_kernels}, {"peer_copies", a.peer_copies},
          {"device_copies", a.device_copies}, {"host_copies", a.host_copies},
          {"memsets", a.memsets},             {"copy_bytes", a.copy_bytes},
          {"nccl_kernel_names", a.kernel_names}};
}

// A measured phase: its times, bytes, bandwidths and floor, then what ran on the NCCL path and
// how it fared beside the GEMM load.
oj phase_json(const ConfigRecord& c, const PhaseRecord& p, const PhaseFigures& f) {
  oj ph = stats_json(f.time, p.samples_ms);
  ph["name"] = phase_name(p.phase);
  ph["kind"] = p.kind;
  ph["op"] = p.op;
  ph["group_size"] = p.group_size;
  ph["bytes_per_rank"] = p.bytes_per_rank;
  if (p.collective()) ph["padding_bytes_per_rank"] = p.padding_bytes_per_rank;
  ph["algbw_GBps"] = f.algbw_GBps;
  ph["busbw_GBps"] = f.busbw_GBps;
  ph["floor_basis"] = p.floor.basis;
  ph["floor_ms"] = p.floor.known ? oj(p.floor.ms) : oj(nullptr);
  ph["floor_ratio"] = or_null(f.floor_ratio);
  ph["launch_ms"] = f.launch_median_ms;
  ph["gpu_busy_ms"] = p.gpu_busy_ms >= 0 ? oj(p.gpu_busy_ms) : oj(nullptr);
  if (p.collective()) {
    ph["path_requested"] = nccl_path_name(c.path.requested);
    ph["path_used"] = p.path_used.used;
    ph["sm_free"] = p.path_used.sm_free;
    ph["path_evidence"] = p.path_used.evidence;
  }
  if (c.path.activity_measured) ph["activity"] = activity_json(p.activity);
  if (c.contention.contended) ph["under_gemm"] = {{"median_ms", f.contended.median}, {"ratio_to_idle", f.contended_ratio}};
  for (const auto& n : f.named) ph[n.key] = n.value;
  return ph;
}

oj contention_json(const ConfigRecord& c, const ConfigFigures& f) {
  const ContentionRecord& l = c.contention;
  if (!l.contended) return {{"load", "none"}};
  return {{"load", "gemm"},
          {"median_ms", f.contended.median},
          {"min_ms", f.contended.min},
          {"samples_ms", l.total_ms},
          {"ratio_to_idle", f.contended_ratio},
          {"gemm_alone_tflops", l.alone_tflops},
          {"gemm_under_bridge_tflops", l.under_tflops},
          {"gemm_window_ms", l.window_ms},
          {"gemm_lost_ms_per_round_trip", l.lost_ms_per_iter}};
}

void repetitions_json(oj& j, const std::vector<double>& medians, double spread) {
  j["repetition_medians_ms"] = medians;
  j["repetitions"] = medians.size();
  if (medians.size() > 1) j["repetition_spread"] = spread;
}

}  // namespace

oj byte_model_json(const ByteModelRecord& m) {
  oj phases = oj::array();
  for (const auto& p : m.phases)
    phases.push_back({{"name", phase_name(p.phase)},
                      {"op", p.op},
                      {"bytes_per_rank", p.bytes},
                      {"padding_bytes_per_rank", p.padding}});
  oj j;
  j["phases"] = phases;
  j["comm_bytes_per_rank"] = m.comm;
  j["padding_bytes_per_rank"] = m.padding;
  j["min_bytes_per_rank"] = m.min;
  j["over_min"] = m.min > 0 ? oj(double(m.comm) / double(m.min)) : oj(nullptr);
  return j;
}

oj config_json(const ConfigRecord& c, const ConfigFigures& f) {
  oj j;
  j["id"] = c.id;
  j["key"] = c.key.json();   // schema version 4: what the scripts group and match by
  j["layout"] = c.key.layout;  // the parallel layout (schema version 3; was "layout_name")
  j["world"] = c.key.world;
  j["backend"] = c.backend;
  j["emulated"] = c.emulated;
  j["src"] = sizes_json(c.layout.src);
  j["dest"] = sizes_json(c.layout.dest);
  j["src_order"] = c.layout.src_order;
  j["dest_order"] = c.layout.dest_order;
  j["direction"] = direction_name(c.direction);
  j["scale"] = c.scale;
  j["cp"] = c.dest_cp;
  j["shape"] = shape_json(c.key.shape, c.tensor_bytes);
  j["strategy"] = c.key.strategy;
  j["mode"] = run_mode_name(c.key.mode);
  j["correct"] = c.check.ok;
  j["check"] = check_json(c.check);
  j["audit"] = audit_json(c.audit);
  j["iterations"] = c.iterations;
  j["warmup"] = c.warmup;
  j["buffer_sets"] = c.buffer_sets;
  j["cadence"] = cadence_name(c.cadence);
  j["total"] = stats_json(f.total, c.total_ms);
  // Host launch skew (latest minus earliest first launch of an iteration over the ranks) and
  // the slowest rank's time to enqueue an iteration: a slow host told apart from a slow NCCL.
  j["launch_skew"] = stats_json(f.launch_skew, c.launch_skew_ms);
  j["launch"] = stats_json(f.launch, c.launch_ms);
  j["gate_expiries"] = c.gate_expiries;
  oj phases = oj::array();
  for (size_t i = 0; i < c.phases.size(); ++i) phases.push_back(phase_json(c, c.phases[i], f.phases[i]));
  j["phases"] = phases;
  j["bytes_per_rank"] = f.bytes_per_rank;
  j["floor_basis"] = f.floor.basis;  // "none: why" when unknown
  j["floor_ms"] = f.floor.known ? oj(f.floor.ms) : oj(nullptr);
  j["floor_ratio"] = or_null(f.floor_ratio);
  j["peak_device_bytes"] = c.peak_device_bytes;
  j["byte_model"] = byte_model_json(c.byte_model);
  if (c.shared_gpu) j["shared_gpu"] = *c.shared_gpu;
  if (!c.phase_delay_us.empty()) j["injected_phase_delay_us"] = c.phase_delay_us;
  j["nccl_path"] = {{"requested", nccl_path_name(c.path.requested)},
                    {"registered", c.path.registered},
                    {"setup_ms", c.path.setup_ms >= 0 ? oj(c.path.setup_ms) : oj(nullptr)},
                    {"activity_measured", c.path.activity_measured}};
  j["contention"] = contention_json(c, f);
  repetitions_json(j, f.repetition_medians_ms, f.repetition_spread);
  return j;
}

oj collective_json(const CollectiveRecord& c, const CollectiveFigures& f) {
  oj j;
  j["id"] = c.id;
  j["key"] = c.key.json();
  j["layout"] = c.key.layout;
  j["phase"] = phase_name(c.key.phase);
  j["strategies"] = c.strategies;
  j["op"] = c.key.op;
  j["dtype"] = dtype_name(c.key.shape.dtype);
  j["group_size"] = c.group_size;
  j["groups"] = c.groups;
  j["bytes_per_rank"] = c.bytes_per_rank;
  j["coll_bytes"] = c.coll_bytes;
  j["launches_per_sample"] = c.launches_per_sample;
  j["iterations_per_way"] = c.iterations_per_way;
  // The nccl-tests figures, out of place and in place: times, algbw and busbw.
  j["method"] = "nccl-tests";
  j["median_ms"] = f.time.median;
  j["min_ms"] = f.time.min;
  j["max_ms"] = f.time.max;
  j["samples_ms"] = c.ms;
  j["in_place_median_ms"] = f.in_place.median;
  j["in_place_samples_ms"] = c.in_place_ms;
  j["algbw_GBps"] = f.algbw_GBps;
  j["busbw_GBps"] = f.busbw_GBps;
  j["in_place_algbw_GBps"] = f.in_place_algbw_GBps;
  j["in_place_busbw_GBps"] = f.in_place_busbw_GBps;
  // The same collective through the suite's phase recorder (NVTX, CUPTI, marks): the same
  // back-to-back loop (the harness's overhead), and one launch as a round trip's phase runs it.
  j["suite_in_place"] = c.suite_in_place;
  j["suite_median_ms"] = f.suite.median;
  j["suite_samples_ms"] = c.suite_ms;
  j["suite_overhead_pct"] = f.suite_overhead_pct;
  j["single_launch_median_ms"] = f.single.median;
  j["single_launch_samples_ms"] = c.single_ms;
  j["single_launch_over_pct"] = f.single_launch_over_pct;
  j["launch_skew"] = {{"median_ms", f.launch_skew.median}, {"max_ms", f.launch_skew.max}};
  j["floor_basis"] = c.floor.basis;
  j["floor_ms"] = c.floor.known ? oj(c.floor.ms) : oj(nullptr);
  j["floor_ratio"] = or_null(f.floor_ratio);
  j["wrong"] = c.wrong;
  j["correct"] = c.wrong == 0;
  j["nccl_path"] = nccl_path_name(c.key.path);
  repetitions_json(j, f.repetition_medians_ms, f.repetition_spread);
  return j;
}

oj refusal_json(const Refusal& r, const char* message_key) {
  return {{"id", r.id}, {"key", r.key}, {"rule", r.rule}, {message_key, r.message}};
}

}  // namespace bb
