// CUPTI per-phase GPU busy time against CUDA-event timings of known kernels and copies.
// Skips where there is no GPU. Tests share the process-wide GpuActivity and each starts by
// draining it, so they do not depend on their order.
#include <string>  // gpu_activity.hpp uses std::string without including it

#include "measure/gpu_activity.hpp"

// BB_CUDA: a failed CUDA call throws bb::Error naming the call. That fails the test on the test's
// thread, and is fatal (std::terminate) on a worker thread, which cannot ASSERT.
#include "check.cuh"

#include <cuda.h>
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

namespace {

constexpr double kSlackMs = 0.020;  // per timed operation: event placement, launch gaps
constexpr double kRel = 0.20;

__global__ void spin_kernel(long long cycles) {
  const long long t0 = clock64();
  while (clock64() - t0 < cycles) {
  }
}

__global__ void copy_kernel(const float4* in, float4* out, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    out[i] = in[i];
}

long long cycles_for_ms(double ms) {
  int dev = 0, khz = 0;
  BB_CUDA(cudaGetDevice(&dev));
  BB_CUDA(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev));
  return static_cast<long long>(ms * khz);
}

int current_device() {
  int dev = 0;
  BB_CUDA(cudaGetDevice(&dev));
  return dev;
}

// Runs `enqueue` on `s` inside phase `phase`, between two events, and returns the elapsed ms.
// A short gate kernel (outside the phase) holds the stream while the events and the work are
// enqueued, so the events time the GPU work and not the host's launch path.
template <class F>
double timed_in_phase(bb::GpuActivity& act, uint64_t phase, cudaStream_t s, F enqueue) {
  static const long long gate_cycles = cycles_for_ms(0.2);
  cudaEvent_t a, b;
  BB_CUDA(cudaEventCreate(&a));
  BB_CUDA(cudaEventCreate(&b));
  spin_kernel<<<1, 32, 0, s>>>(gate_cycles);
  act.push_phase(phase);
  BB_CUDA(cudaEventRecord(a, s));
  enqueue();
  BB_CUDA(cudaGetLastError());
  BB_CUDA(cudaEventRecord(b, s));
  act.pop_phase();
  BB_CUDA(cudaEventSynchronize(b));
  float ms = 0;
  BB_CUDA(cudaEventElapsedTime(&ms, a, b));
  BB_CUDA(cudaEventDestroy(a));
  BB_CUDA(cudaEventDestroy(b));
  return ms;
}

struct Buffers {
  size_t bytes;
  float4* in = nullptr;
  float4* out = nullptr;
  explicit Buffers(size_t n) : bytes(n) {
    BB_CUDA(cudaMalloc(&in, bytes));
    BB_CUDA(cudaMalloc(&out, bytes));
    BB_CUDA(cudaMemset(in, 1, bytes));
  }
  ~Buffers() {
    cudaFree(in);
    cudaFree(out);
  }
};

int copy_grid() {
  int sms = 0;
  BB_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, current_device()));
  return sms * 4;
}

void copy_launch(const Buffers& b, int grid, cudaStream_t s) {
  copy_kernel<<<grid, 256, 0, s>>>(b.in, b.out, b.bytes / sizeof(float4));
}

// A rank-as-thread's setup: `work` on a non-blocking stream of its own on device `dev`.
void on_own_stream(int dev, const std::function<void(cudaStream_t)>& work) {
  BB_CUDA(cudaSetDevice(dev));
  cudaStream_t s;
  BB_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  work(s);
  BB_CUDA(cudaStreamDestroy(s));
}

class Cupti : public ::testing::Test {
 protected:
  void SetUp() override {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0)
      GTEST_SKIP() << "no CUDA device (" << cudaGetErrorString(e)
                   << "): CUPTI busy-time tests need a GPU";
    static std::string why;
    static std::shared_ptr<bb::GpuActivity> shared = bb::start_gpu_activity(&why);
    if (!shared && why.find("MULTIPLE_SUBSCRIBERS") != std::string::npos)
      GTEST_SKIP() << "another CUPTI client holds the activity API (nsys?): " << why;
    ASSERT_TRUE(shared) << "a GPU is present but CUPTI did not start: " << why;
    activity = shared;
    dev = current_device();
    // Lazy module loading makes a kernel's first launch slow on the host: get it done here.
    spin_kernel<<<1, 32>>>(0);
    copy_kernel<<<1, 32>>>(nullptr, nullptr, 0);
    BB_CUDA(cudaGetLastError());
    BB_CUDA(cudaDeviceSynchronize());
    activity->take_busy_ms();  // drop whatever earlier tests left
  }

  double busy(const std::map<std::pair<uint64_t, int>, double>& m, uint64_t phase) {
    auto it = m.find({phase, dev});
    return it == m.end() ? 0.0 : it->second;
  }

  std::shared_ptr<bb::GpuActivity> activity;
  int dev = 0;
};

TEST_F(Cupti, StartIsProcessWide) {
  std::string why;
  EXPECT_EQ(bb::start_gpu_activity(&why), activity);
}

// Two ranks-as-threads, each in its own phase at the same time: a spin kernel series on one,
// copy kernels + memcpy + memset on the other. Each phase gets its own work's time.
TEST_F(Cupti, TwoPhasesOnTwoThreads) {
  constexpr uint64_t kSpin = 11, kCopy = 12;
  Buffers buf(256u << 20);
  const long long cycles = cycles_for_ms(1.0);

  const int grid = copy_grid();
  std::vector<double> spin_each, copy_each;  // per operation, printed for diagnosis

  std::thread spinner(on_own_stream, dev, [&](cudaStream_t s) {
    for (int i = 0; i < 3; ++i)
      spin_each.push_back(
          timed_in_phase(*activity, kSpin, s, [&] { spin_kernel<<<1, 32, 0, s>>>(cycles); }));
  });
  std::thread copier(on_own_stream, dev, [&](cudaStream_t s) {
    for (int i = 0; i < 3; ++i)
      copy_each.push_back(
          timed_in_phase(*activity, kCopy, s, [&] { copy_launch(buf, grid, s); }));
    copy_each.push_back(timed_in_phase(*activity, kCopy, s, [&] {
      BB_CUDA(cudaMemcpyAsync(buf.out, buf.in, buf.bytes, cudaMemcpyDeviceToDevice, s));
    }));
    copy_each.push_back(timed_in_phase(*activity, kCopy, s, [&] {
      BB_CUDA(cudaMemsetAsync(buf.out, 0, buf.bytes, s));
    }));
  });
  spinner.join();
  copier.join();
  BB_CUDA(cudaDeviceSynchronize());

  double spin_ms = 0, copy_ms = 0;
  for (double ms : spin_each) spin_ms += ms;
  for (double ms : copy_each) copy_ms += ms;
  const int spin_ops = int(spin_each.size()), copy_ops = int(copy_each.size());
  std::printf("events per op (ms): spin");
  for (double ms : spin_each) std::printf(" %.4f", ms);
  std::printf("; copy x3, memcpy, memset");
  for (double ms : copy_each) std::printf(" %.4f", ms);
  std::printf("\n");

  auto m = activity->take_busy_ms();
  std::printf("spin phase: busy %.4f ms, events %.4f ms; copy phase: busy %.4f ms, events %.4f ms\n",
              busy(m, kSpin), spin_ms, busy(m, kCopy), copy_ms);
  EXPECT_NEAR(busy(m, kSpin), spin_ms, kRel * spin_ms + kSlackMs * spin_ops);
  EXPECT_NEAR(busy(m, kCopy), copy_ms, kRel * copy_ms + kSlackMs * copy_ops);
  for (const auto& [key, ms] : m)
    EXPECT_TRUE(key.first == kSpin || key.first == kCopy)
        << "unexpected phase " << key.first << " on device " << key.second << ": " << ms << " ms";
}

// The same spin kernel on two streams at once: the phase was busy for one duration, not two.
TEST_F(Cupti, OverlapCountsOnce) {
  constexpr uint64_t kPhase = 21;
  const long long cycles = cycles_for_ms(5.0);
  cudaStream_t s[2];
  cudaEvent_t start[2], stop[2];
  for (int i = 0; i < 2; ++i) {
    BB_CUDA(cudaStreamCreateWithFlags(&s[i], cudaStreamNonBlocking));
    BB_CUDA(cudaEventCreate(&start[i]));
    BB_CUDA(cudaEventCreate(&stop[i]));
  }
  activity->push_phase(kPhase);
  for (int i = 0; i < 2; ++i) {
    BB_CUDA(cudaEventRecord(start[i], s[i]));
    spin_kernel<<<1, 32, 0, s[i]>>>(cycles);
    BB_CUDA(cudaGetLastError());
    BB_CUDA(cudaEventRecord(stop[i], s[i]));
  }
  activity->pop_phase();
  BB_CUDA(cudaDeviceSynchronize());
  float ms[2];
  for (int i = 0; i < 2; ++i) BB_CUDA(cudaEventElapsedTime(&ms[i], start[i], stop[i]));
  const double one = std::max(ms[0], ms[1]);

  auto m = activity->take_busy_ms();
  std::printf("overlap phase: busy %.4f ms, stream events %.4f / %.4f ms\n", busy(m, kPhase),
              ms[0], ms[1]);
  EXPECT_NEAR(busy(m, kPhase), one, kRel * one + 2 * kSlackMs);
  EXPECT_LT(busy(m, kPhase), 0.75 * (ms[0] + ms[1])) << "overlapping kernels counted twice";
  for (int i = 0; i < 2; ++i) {
    BB_CUDA(cudaEventDestroy(start[i]));
    BB_CUDA(cudaEventDestroy(stop[i]));
    BB_CUDA(cudaStreamDestroy(s[i]));
  }
}

// take_busy_ms forgets what it returned; work outside any phase is never attributed.
TEST_F(Cupti, TakeClearsAndIgnoresUnphasedWork) {
  constexpr uint64_t kPhase = 31;
  Buffers buf(64u << 20);
  activity->push_phase(kPhase);
  copy_launch(buf, copy_grid(), 0);
  BB_CUDA(cudaGetLastError());
  activity->pop_phase();
  BB_CUDA(cudaDeviceSynchronize());
  auto first = activity->take_busy_ms();
  EXPECT_GT(busy(first, kPhase), 0.0);

  copy_launch(buf, copy_grid(), 0);  // no phase pushed
  BB_CUDA(cudaGetLastError());
  BB_CUDA(cudaDeviceSynchronize());
  auto second = activity->take_busy_ms();
  EXPECT_TRUE(second.empty()) << "second take returned " << second.size() << " entries";
}

// NCCL's non-blocking communicators launch a collective's kernels from a helper thread with no
// phase pushed: work another thread enqueues (through the driver API, as NCCL does) on the
// stream of an open phase belongs to that phase; on any other stream it does not.
TEST_F(Cupti, WorkFromAnotherThreadOnThePhaseStreamCounts) {
  constexpr uint64_t kPhase = 41;
  Buffers buf(64u << 20);
  cudaStream_t mine, other;
  BB_CUDA(cudaStreamCreateWithFlags(&mine, cudaStreamNonBlocking));
  BB_CUDA(cudaStreamCreateWithFlags(&other, cudaStreamNonBlocking));
  const int dev = current_device();
  // The driver's cuMemcpyAsync through the runtime's entry-point query, so the test links no
  // libcuda (absent on a machine without the driver, where the test binary must still start).
  using MemcpyAsync = CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult found{};
  BB_CUDA(cudaGetDriverEntryPointByVersion("cuMemcpyAsync", &fn, 12000, cudaEnableDefault, &found));
  ASSERT_EQ(found, cudaDriverEntryPointSuccess);
  const auto memcpy_async = reinterpret_cast<MemcpyAsync>(fn);
  auto copy_from_helper = [&](cudaStream_t s) {
    std::thread t([&] {
      BB_CUDA(cudaSetDevice(dev));  // the primary context, current on the helper thread too
      const CUresult r = memcpy_async(CUdeviceptr(buf.out), CUdeviceptr(buf.in), buf.bytes, CUstream(s));
      if (r != CUDA_SUCCESS) std::abort();
    });
    t.join();
  };
  activity->push_phase(kPhase, mine);
  copy_from_helper(mine);   // the phase's stream: the phase's work
  copy_from_helper(other);  // another stream: nobody's
  activity->pop_phase();
  BB_CUDA(cudaDeviceSynchronize());
  auto m = activity->take_busy_ms();
  auto counts = activity->last_counts();
  const auto it = counts.find({kPhase, dev});
  ASSERT_NE(it, counts.end()) << "no work attributed to the phase";
  std::printf("off-thread copy: busy %.4f ms\n", busy(m, kPhase));
  EXPECT_GT(busy(m, kPhase), 0.0);
  EXPECT_EQ(it->second.device_copies + it->second.peer_copies, 1)
      << "exactly the one copy on the phase's stream";
  BB_CUDA(cudaStreamDestroy(mine));
  BB_CUDA(cudaStreamDestroy(other));
}

TEST_F(Cupti, UnbalancedPopThrows) {
  EXPECT_ANY_THROW(activity->pop_phase());
}

}  // namespace
