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

#include "check.cuh"  // BB_CUDA: a failed CUDA call throws bb::Error naming the call

#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>


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
    BB_CUDA(cudaMemcpyAsync(w.a, w.c, w.bytes, cudaMemcpyDeviceToDevice, w.s));
  });
  phase(kBwdLocal, [&] {
    launch_copy(w, w.a, w.b, w.bytes);
    launch_copy(w, w.b, w.c, w.bytes);
    BB_CUDA(cudaMemsetAsync(w.b, 0, w.bytes, w.s));
  });
  phase(kSmall, [&] {
    for (int i = 0; i < 32; ++i) launch_copy(w, w.a, w.b, 4096);
  });
  BB_CUDA(cudaGetLastError());
}

struct Result {
  double median_ms, min_ms, wall_ms;
};

Result measure(const Workload& w, bb::GpuActivity* act, int warmup, int iters) {
  cudaEvent_t e0, e1;
  BB_CUDA(cudaEventCreate(&e0));
  BB_CUDA(cudaEventCreate(&e1));
  for (int i = 0; i < warmup; ++i) iteration(w, act);
  BB_CUDA(cudaStreamSynchronize(w.s));
  std::vector<double> ms;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) {
    BB_CUDA(cudaEventRecord(e0, w.s));
    iteration(w, act);
    BB_CUDA(cudaEventRecord(e1, w.s));
    BB_CUDA(cudaEventSynchronize(e1));
    float f = 0;
    BB_CUDA(cudaEventElapsedTime(&f, e0, e1));
    ms.push_back(f);
  }
  auto wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  BB_CUDA(cudaEventDestroy(e0));
  BB_CUDA(cudaEventDestroy(e1));
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), wall.count()};
}

struct Args {
  int iters = 200, warmup = 20;
  size_t mib = 64;
};

// --iters N, --warmup N, --mib N; false on anything else (usage printed).
bool parse_args(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--iters")) a->iters = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--warmup")) a->warmup = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--mib")) a->mib = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--iters N] [--warmup N] [--mib N]\n", argv[0]);
      return false;
    }
  }
  if (a->iters < 1) a->iters = 1;
  return true;
}

// Three buffers of `mib` MiB on device 0 (the first filled), a grid of 4 blocks per SM, and a
// non-blocking stream; says what will run.
Workload make_workload(const Args& a) {
  int dev = 0, sms = 0;
  BB_CUDA(cudaSetDevice(dev));
  BB_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  cudaDeviceProp prop{};
  BB_CUDA(cudaGetDeviceProperties(&prop, dev));
  Workload w{a.mib << 20, sms * 4, nullptr, nullptr, nullptr, nullptr};
  BB_CUDA(cudaMalloc(&w.a, w.bytes));
  BB_CUDA(cudaMalloc(&w.b, w.bytes));
  BB_CUDA(cudaMalloc(&w.c, w.bytes));
  BB_CUDA(cudaMemset(w.a, 1, w.bytes));
  BB_CUDA(cudaStreamCreateWithFlags(&w.s, cudaStreamNonBlocking));
  std::printf("device: %s; %d iterations (+%d warmup) of 4 x %zu MiB copy kernels, 1 memcpy, "
              "1 memset, 32 tiny kernels; 4 phases\n",
              prop.name, a.iters, a.warmup, a.mib);
  return w;
}

void report(const Args& a, const Result& off, const Result& on, const std::map<std::pair<uint64_t, int>, double>& busy) {
  const double pct = 100.0 * (on.median_ms - off.median_ms) / off.median_ms;
  const double wall_pct = 100.0 * (on.wall_ms - off.wall_ms) / off.wall_ms;
  std::printf("cupti off: median %.4f ms  min %.4f ms  loop wall %.1f ms\n", off.median_ms,
              off.min_ms, off.wall_ms);
  std::printf("cupti on : median %.4f ms  min %.4f ms  loop wall %.1f ms\n", on.median_ms,
              on.min_ms, on.wall_ms);
  for (const auto& [key, ms] : busy)
    std::printf("  busy %-13s dev %d: %.4f ms per iteration\n", phase_name(key.first), key.second,
                ms / (a.iters + a.warmup));
  std::printf("overhead: median %+.2f %%, loop wall %+.2f %%\n", pct, wall_pct);
}

// Exit status: 0 measured, 1 usage, 2 a CUDA call failed, 3 CUPTI unavailable.
int run(const Args& a) {
  const Workload w = make_workload(a);
  // Off first: CUPTI cannot be fully unloaded once it has attached to the process.
  const Result off = measure(w, nullptr, a.warmup, a.iters);
  std::string why;
  auto act = bb::start_gpu_activity(&why);
  if (!act) {
    std::printf("CUPTI unavailable: %s\n", why.c_str());
    return 3;
  }
  act->take_busy_ms();
  const Result on = measure(w, act.get(), a.warmup, a.iters);
  BB_CUDA(cudaDeviceSynchronize());
  report(a, off, on, act->take_busy_ms());  // busy: warmup + timed iterations
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse_args(argc, argv, &a)) return 1;
  try {
    return run(a);
  } catch (const bb::Error& e) {
    std::fprintf(stderr, "cupti_overhead: %s\n", e.what());
    return 2;
  }
}
