// What CUPTI per-phase busy time costs the timings it sits next to.
//
// A bridge-like iteration (local copy kernels, a device-to-device copy standing in for the
// collective, a memset, and a burst of tiny kernels that make the loop launch-bound in places)
// is timed with CUDA events, synchronizing after each iteration like the harness's timed mode.
// It runs first with no CUPTI at all in the process, then with activity tracing on and every
// phase pushed/popped, and reports the change in the median iteration time.
//
//   cupti_overhead [--iters N] [--warmup N] [--mib N]
#include <string>  // gpu_activity.hpp uses std::string without including it

#include "measure/gpu_activity.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#define CUDA_CHECK(call)                                                                    \
  do {                                                                                      \
    cudaError_t e_ = (call);                                                                \
    if (e_ != cudaSuccess) {                                                                \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                    \
                   cudaGetErrorString(e_));                                                 \
      std::exit(2);                                                                         \
    }                                                                                       \
  } while (0)

namespace {

__global__ void copy_kernel(const float4* in, float4* out, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    out[i] = in[i];
}

struct Workload {
  size_t bytes;
  int grid;
  float4 *a, *b, *c;
  cudaStream_t s;
};

enum Phase : uint64_t { kFwdLocal = 1, kFwdComm, kBwdLocal, kSmall };
const char* phase_name(uint64_t p) {
  switch (p) {
    case kFwdLocal: return "fwd_local";
    case kFwdComm: return "fwd_comm";
    case kBwdLocal: return "bwd_local";
    default: return "small_kernels";
  }
}

void launch_copy(const Workload& w, const float4* in, float4* out, size_t bytes) {
  copy_kernel<<<w.grid, 256, 0, w.s>>>(in, out, bytes / sizeof(float4));
}

// One iteration in four phases, as the harness brackets them; `act` null: no bracketing at all.
void iteration(const Workload& w, bb::GpuActivity* act) {
  auto phase = [&](uint64_t id, auto&& body) {
    if (act) act->push_phase(id);
    body();
    if (act) act->pop_phase();
  };
  phase(kFwdLocal, [&] {
    launch_copy(w, w.a, w.b, w.bytes);
    launch_copy(w, w.b, w.c, w.bytes);
  });
  phase(kFwdComm, [&] {
    CUDA_CHECK(cudaMemcpyAsync(w.a, w.c, w.bytes, cudaMemcpyDeviceToDevice, w.s));
  });
  phase(kBwdLocal, [&] {
    launch_copy(w, w.a, w.b, w.bytes);
    launch_copy(w, w.b, w.c, w.bytes);
    CUDA_CHECK(cudaMemsetAsync(w.b, 0, w.bytes, w.s));
  });
  phase(kSmall, [&] {
    for (int i = 0; i < 32; ++i) launch_copy(w, w.a, w.b, 4096);
  });
  CUDA_CHECK(cudaGetLastError());
}

struct Result {
  double median_ms, min_ms, wall_ms;
};

Result measure(const Workload& w, bb::GpuActivity* act, int warmup, int iters) {
  cudaEvent_t e0, e1;
  CUDA_CHECK(cudaEventCreate(&e0));
  CUDA_CHECK(cudaEventCreate(&e1));
  for (int i = 0; i < warmup; ++i) iteration(w, act);
  CUDA_CHECK(cudaStreamSynchronize(w.s));
  std::vector<double> ms;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) {
    CUDA_CHECK(cudaEventRecord(e0, w.s));
    iteration(w, act);
    CUDA_CHECK(cudaEventRecord(e1, w.s));
    CUDA_CHECK(cudaEventSynchronize(e1));
    float f = 0;
    CUDA_CHECK(cudaEventElapsedTime(&f, e0, e1));
    ms.push_back(f);
  }
  auto wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  CUDA_CHECK(cudaEventDestroy(e0));
  CUDA_CHECK(cudaEventDestroy(e1));
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), wall.count()};
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 200, warmup = 20;
  size_t mib = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--iters")) iters = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--warmup")) warmup = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--mib")) mib = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--iters N] [--warmup N] [--mib N]\n", argv[0]);
      return 1;
    }
  }
  if (iters < 1) iters = 1;

  int dev = 0, sms = 0;
  CUDA_CHECK(cudaSetDevice(dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  Workload w{mib << 20, sms * 4, nullptr, nullptr, nullptr, nullptr};
  CUDA_CHECK(cudaMalloc(&w.a, w.bytes));
  CUDA_CHECK(cudaMalloc(&w.b, w.bytes));
  CUDA_CHECK(cudaMalloc(&w.c, w.bytes));
  CUDA_CHECK(cudaMemset(w.a, 1, w.bytes));
  CUDA_CHECK(cudaStreamCreateWithFlags(&w.s, cudaStreamNonBlocking));
  std::printf("device: %s; %d iterations (+%d warmup) of 4 x %zu MiB copy kernels, 1 memcpy, "
              "1 memset, 32 tiny kernels; 4 phases\n",
              prop.name, iters, warmup, mib);

  // Off first: CUPTI cannot be fully unloaded once it has attached to the process.
  Result off = measure(w, nullptr, warmup, iters);

  std::string why;
  auto act = bb::start_gpu_activity(&why);
  if (!act) {
    std::printf("CUPTI unavailable: %s\n", why.c_str());
    return 3;
  }
  act->take_busy_ms();
  Result on = measure(w, act.get(), warmup, iters);
  CUDA_CHECK(cudaDeviceSynchronize());
  auto busy = act->take_busy_ms();  // warmup + timed iterations

  const double pct = 100.0 * (on.median_ms - off.median_ms) / off.median_ms;
  const double wall_pct = 100.0 * (on.wall_ms - off.wall_ms) / off.wall_ms;
  std::printf("cupti off: median %.4f ms  min %.4f ms  loop wall %.1f ms\n", off.median_ms,
              off.min_ms, off.wall_ms);
  std::printf("cupti on : median %.4f ms  min %.4f ms  loop wall %.1f ms\n", on.median_ms,
              on.min_ms, on.wall_ms);
  for (const auto& [key, ms] : busy)
    std::printf("  busy %-13s dev %d: %.4f ms per iteration\n", phase_name(key.first), key.second,
                ms / (iters + warmup));
  std::printf("overhead: median %+.2f %%, loop wall %+.2f %%\n", pct, wall_pct);
  return 0;
}
