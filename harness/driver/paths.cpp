#include "driver/paths.hpp"

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "comm/backend.hpp"
#ifdef BB_HAVE_CUDA
#include "comm/nccl_comm.hpp"
#include "measure/gemm_load.hpp"
#include "measure/gemm_reference.hpp"
#endif

namespace bb {

using oj = nlohmann::ordered_json;

void check_bench_paths(const BenchOptions& o, const std::string& backend) {
  for (NcclPath p : o.nccl_paths) check_nccl_path(p, backend);
  for (Contention c : o.contentions)
    if (c == Contention::gemm && !backend_traits(backend).one_gpu_per_rank)
      throw Error("bad_flag", "--contention=gemm needs the nccl backend (one GPU per rank); the " + backend +
                                  " backend " + (backend_traits(backend).gpu ? "runs every rank on one GPU" : "has no GPU"));
#ifdef BB_HAVE_CUDA
  if (backend_traits(backend).over_links) {
    const int v = nccl_runtime_version();
    for (NcclPath p : o.nccl_paths) check_nccl_path(p, backend, v);
  }
#endif
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

}  // namespace bb
