#include "driver/paths.hpp"

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "comm/backend.hpp"
#include "measure/phases.hpp"
#include "results/results.hpp"
#ifdef BB_HAVE_CUDA
#include "comm/nccl_comm.hpp"
#include "measure/gemm_load.hpp"
#include "measure/gemm_reference.hpp"
#endif

namespace bb {

using oj = nlohmann::ordered_json;

void check_bench_paths(const BenchOptions& o, const std::string& backend) {
  const BackendTraits& b = backend_traits(backend);
  const int nccl_version = b.running_nccl_version();
  for (NcclPath p : o.nccl_paths) check_nccl_path(p, backend, nccl_version);
  for (Contention c : o.contentions)
    if (c == Contention::gemm && !b.one_gpu_per_rank)
      throw Error("bad_flag", "--contention=gemm needs the nccl backend (one GPU per rank); the " + backend +
                                  " backend " + (b.gpu ? "runs every rank on one GPU" : "has no GPU"));
}

namespace {
std::mutex g_mu;
oj g_checks = oj::array();
#ifdef BB_HAVE_CUDA
class GemmAdapter final : public ConcurrentLoad {
 public:
  explicit GemmAdapter(int ordinal) : load_(ordinal) {}
  void start() override { load_.start(); }
  LoadWindow stop() override { return of(load_.stop()); }
  LoadWindow alone(double ms) override { return of(load_.run_alone(ms)); }
  GemmLoad& load() { return load_; }

 private:
  static LoadWindow of(const GemmStats& s) { return {s.gemms, s.window_ms, s.tflops}; }
  GemmLoad load_;
};
// Never destroyed on purpose: a static destructor would run cuBLAS / cudaFree after the CUDA
// runtime's own exit teardown. No feeder thread outlives a config (every start has its stop).
auto* g_loads = new std::map<int, std::unique_ptr<GemmAdapter>>;
#endif
}  // namespace

ConcurrentLoad* rank_gemm_load(Device& dev) {
#ifdef BB_HAVE_CUDA
  std::lock_guard<std::mutex> lk(g_mu);
  auto& slot = (*g_loads)[dev.ordinal()];
  if (!slot) {
    auto l = std::make_unique<GemmAdapter>(dev.ordinal());
    // Once per GPU, through the load's own cuBLAS call: 1024 x 512 x 256, exact in bf16.
    std::string first;
    const int64_t wrong = l->load().check_exact(1024, 512, kGemmExactMaxK, &first);
    g_checks.push_back({{"device", dev.ordinal()}, {"m", 1024}, {"n", 512}, {"k", kGemmExactMaxK},
                        {"wrong", wrong}, {"first_mismatch", first}, {"load_n", l->load().n()}});
    if (wrong) throw Error("gemm_check_failed", "GEMM load exact check: " + std::to_string(wrong) + " wrong, " + first);
    slot = std::move(l);
  }
  return slot.get();
#else
  (void)dev;
  return nullptr;
#endif
}

oj path_env_json() {
  oj e = oj::object();
  for (const char* v : {"NCCL_CTA_POLICY", "NCCL_CUMEM_ENABLE", "NCCL_WIN_ENABLE", "NCCL_LOCAL_REGISTER",
                        "NCCL_GRAPH_REGISTER", "NCCL_NVLS_ENABLE"}) {
    const char* x = std::getenv(v);
    e[v] = x ? oj(x) : oj(nullptr);
  }
  return e;
}

oj gemm_load_json() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_checks;
}

void add_path_json(oj& c, const RunResult& r) {
  c["nccl_path"] = {{"requested", nccl_path_name(r.nccl_path)},
                    {"registered", r.path_registered},
                    {"setup_ms", r.path_setup_ms >= 0 ? oj(r.path_setup_ms) : oj(nullptr)},
                    {"activity_measured", r.activity_measured}};
  // Per phase, beside the phase's own record (same order, same names).
  for (auto& ph : c["phases"]) {
    int p = -1;
    for (int k = 0; k < kPhaseCount; ++k)
      if (ph["name"] == phase_name(Phase(k))) p = k;
    if (p < 0) continue;
    const PathUsed& u = r.path_used[size_t(p)];
    const PhaseActivity& a = r.activity[size_t(p)];
    if (ph["kind"] == "collective") {
      ph["path_requested"] = nccl_path_name(r.nccl_path);
      ph["path_used"] = u.used;
      ph["sm_free"] = u.sm_free;
      ph["path_evidence"] = u.evidence;
    }
    if (r.activity_measured)
      ph["activity"] = {{"nccl_kernels", a.nccl_kernels},   {"symmetric_kernels", a.symmetric_kernels},
                        {"other_kernels", a.other_kernels}, {"peer_copies", a.peer_copies},
                        {"device_copies", a.device_copies}, {"host_copies", a.host_copies},
                        {"memsets", a.memsets},             {"copy_bytes", a.copy_bytes},
                        {"nccl_kernel_names", a.kernel_names}};
    if (r.contended) {
      const Stats s = stats_of(r.contended_phase_ms[size_t(p)]);
      const double idle = ph.contains("median_ms") && ph["median_ms"].is_number() ? ph["median_ms"].get<double>() : 0;
      ph["under_gemm"] = {{"median_ms", s.median}, {"ratio_to_idle", idle > 0 ? s.median / idle : 0.0}};
    }
  }
  if (r.contended) {
    const Stats s = stats_of(r.contended_total_ms);
    const double idle = c["total"]["median_ms"].get<double>();
    c["contention"] = {{"load", "gemm"},
                       {"median_ms", s.median},
                       {"min_ms", s.min},
                       {"samples_ms", r.contended_total_ms},
                       {"ratio_to_idle", idle > 0 ? s.median / idle : 0.0},
                       {"gemm_alone_tflops", r.load_alone_tflops},
                       {"gemm_under_bridge_tflops", r.load_under_tflops},
                       {"gemm_window_ms", r.load_window_ms},
                       {"gemm_lost_ms_per_round_trip", r.load_lost_ms_per_iter}};
  } else {
    c["contention"] = {{"load", "none"}};
  }
}

}  // namespace bb
