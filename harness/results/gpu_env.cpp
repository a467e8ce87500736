#include "results/gpu_env.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <cuda_runtime.h>
#include <nccl.h>

#include "core/error.hpp"

namespace bb {

#define BB_ENV_CUDA(call)                                                                         \
  do {                                                                                            \
    cudaError_t e_ = (call);                                                                      \
    if (e_ != cudaSuccess) throw Error("cuda_error", std::string(#call) + ": " + cudaGetErrorString(e_)); \
  } while (0)

static std::string capture(const char* cmd) {
  std::string out;
  if (FILE* p = popen(cmd, "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) out.clear();
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

nlohmann::ordered_json gpu_environment_json() {
  nlohmann::ordered_json j;
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    n = 0;
  }
  j["gpus"] = nlohmann::ordered_json::array();
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    BB_ENV_CUDA(cudaGetDeviceProperties(&p, i));
    char bus[32];
    std::snprintf(bus, sizeof bus, "%04x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
    j["gpus"].push_back({{"index", i},
                         {"name", p.name},
                         {"memory_bytes", p.totalGlobalMem},
                         {"sm_count", p.multiProcessorCount},
                         {"l2_bytes", p.l2CacheSize},
                         {"compute_capability", std::to_string(p.major) + "." + std::to_string(p.minor)},
                         {"pci_bus_id", bus}});
  }
  j["gpu_count"] = n;
  std::string drv = capture("nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1");
  j["driver_version"] = drv.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(drv);
  int rt = 0;
  cudaRuntimeGetVersion(&rt);
  j["cuda_runtime"] = std::to_string(rt / 1000) + "." + std::to_string((rt % 1000) / 10);
  int nv = 0;
  if (ncclGetVersion(&nv) == ncclSuccess)
    j["nccl_version"] = std::to_string(nv / 10000) + "." + std::to_string((nv % 10000) / 100) + "." + std::to_string(nv % 100);
  else
    j["nccl_version"] = nullptr;
  std::string topo = n > 1 ? capture("nvidia-smi topo -m 2>/dev/null") : "";
  if (!topo.empty()) j["topology"] = topo;
  else if (n == 1) j["topology"] = "single GPU";
  else j["topology"] = nullptr;
  return j;
}

// Times `reps` device-to-device copies of `bytes` on GPU `ordinal`, one event pair each, until
// at least `min_total_ms` has passed; returns each copy's milliseconds.
static std::vector<float> timed_copies(int ordinal, size_t bytes, int reps, double min_total_ms) {
  BB_ENV_CUDA(cudaSetDevice(ordinal));
  void *a = nullptr, *b = nullptr;
  BB_ENV_CUDA(cudaMalloc(&a, bytes));
  BB_ENV_CUDA(cudaMalloc(&b, bytes));
  BB_ENV_CUDA(cudaMemset(a, 1, bytes));
  cudaEvent_t e0, e1;
  BB_ENV_CUDA(cudaEventCreate(&e0));
  BB_ENV_CUDA(cudaEventCreate(&e1));
  std::vector<float> ms;
  double total = 0;
  for (int i = 0; i < reps || total < min_total_ms; ++i) {
    BB_ENV_CUDA(cudaEventRecord(e0));
    BB_ENV_CUDA(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
    BB_ENV_CUDA(cudaEventRecord(e1));
    BB_ENV_CUDA(cudaEventSynchronize(e1));
    float t = 0;
    BB_ENV_CUDA(cudaEventElapsedTime(&t, e0, e1));
    ms.push_back(t);
    total += t;
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaFree(a);
  cudaFree(b);
  return ms;
}

double gpu_copy_bandwidth_GBps(int ordinal) {
  const size_t bytes = size_t(1) << 30;
  std::vector<float> ms = timed_copies(ordinal, bytes, 13, 0);
  ms.erase(ms.begin(), ms.begin() + 3);  // the first copies warm up
  std::sort(ms.begin(), ms.end());
  return 2.0 * double(bytes) / (double(ms[ms.size() / 2]) * 1e6);
}

void gpu_warm_up(double ms) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  for (int d = 0; d < n; ++d) timed_copies(d, size_t(256) << 20, 1, ms);
}

int64_t gpu_l2_bytes(int ordinal) {
  int v = 0;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrL2CacheSize, ordinal) != cudaSuccess) return 50ll << 20;
  return v;
}

}  // namespace bb
