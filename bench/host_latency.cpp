// host_latency: what the host adds around the GPU work, measured on the machine at hand, under
// threads or under mpirun (it takes the MPI launcher when started by mpirun). Item by item:
//   sleep_for(20us)      the wait the old poll loops used between two polls
//   enqueue align        one NCCL collective's launch through the suite (non-blocking comm:
//                        the call, NCCL's launch thread, the wait until it is queued)
//   enqueue copy / mark  a local kernel launch and an event record
//   wait: poll-yield     gate opened at t0 -> the suite's synchronize() returns (PollWait)
//   wait: sleep-20us     the same with the old loop (cudaStreamQuery + sleep_for(20us))
// It also prints the CPU affinity the process got (mpirun binds a rank to one core by default,
// which NCCL's launch and proxy threads then share with the rank's own thread).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "comm/launch.hpp"
#include "core/checked.hpp"
#include "results/results.hpp"
#ifdef BB_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

void row(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double p50 = v[v.size() / 2], p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  std::printf("%-34s %10.1f %10.1f %10.1f   (n=%zu)\n", what, p50, p99, v.back(), v.size());
}

std::vector<double> sample(int n, const std::function<double()>& f) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(f());
  return v;
}

#ifdef BB_HAVE_CUDA
// Host cost of queuing GPU work: one NCCL collective through the suite, a kernel, an event.
void enqueue_rows(bb::Comm& world, bb::Device& dev, int n, const std::vector<bb::CopySegment>& copy) {
  auto enqueue = [&](const std::function<void()>& launch) {
    return sample(n, [&] {
      const auto t0 = Clock::now();
      launch();
      const double us = us_since(t0);
      world.synchronize();
      return us;
    });
  };
  row("enqueue align (NCCL, non-blocking)", enqueue([&] { world.align(); }));
  row("enqueue copy kernel", enqueue([&] { dev.copy(copy); }));
  row("enqueue mark (event record)", sample(n, [&] {
        dev.reset_marks();
        const auto t0 = Clock::now();
        dev.mark();
        const double us = us_since(t0);
        world.synchronize();
        return us;
      }));
}

// Host latency from the GPU finishing to the host noticing, for three ways of waiting: the
// gate kernel holds the stream, the host opens it at t0 and waits.
void wait_rows(bb::Comm& world, bb::Device& dev, int n, const std::vector<bb::CopySegment>& copy) {
  auto gated_wait = [&](const std::function<void()>& wait) {
    return sample(n, [&] {
      dev.hold_gate(10);
      dev.copy(copy);
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the gate kernel is running
      const auto t0 = Clock::now();
      dev.open_gate();
      wait();
      return us_since(t0);
    });
  };
  row("wait: gate open -> synchronize", gated_wait([&] { world.synchronize(); }));
  auto stream = static_cast<cudaStream_t>(dev.native_stream());
  row("wait: old loop, sleep_for(20us)", gated_wait([&] {
        while (cudaStreamQuery(stream) == cudaErrorNotReady) std::this_thread::sleep_for(std::chrono::microseconds(20));
      }));
  row("wait: cudaStreamSynchronize", gated_wait([&] { cudaStreamSynchronize(stream); }));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  try {
    if (argc > 1) n = int(bb::parse_int64(argv[1], 10, 10000000, "host_latency's sample count"));
  } catch (const bb::Error& e) {
    std::fprintf(stderr, "error: %s: %s\nusage: host_latency [SAMPLES >= 10]\n", e.rule().c_str(), e.what());
    return 2;
  }
  std::printf("host_latency: %s, %d CPUs in this process's affinity, %d samples each\n",
              bb::under_mpi() ? "under MPI" : "threads", bb::cpu_affinity_count(), n);
  std::printf("%-34s %10s %10s %10s\n", "what (us)", "median", "p99", "max");
  row("sleep_for(20us)", sample(n, [] {
        const auto t0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::microseconds(20));
        return us_since(t0);
      }));
  if (bb::gpu_count() < 1) {
    std::printf("no GPU: the launch and wait rows need one\n");
    return 0;
  }
#ifdef BB_HAVE_CUDA
  bb::LaunchOptions lo;
  lo.backend = "nccl";
  lo.world = 1;
  lo.timeout_s = 60;
  bb::launch(lo, [&](bb::Comm& world, bb::Device& dev) {
    if (world.rank() != 0) return;
    bb::DeviceBuffer a(dev, 1 << 20), b(dev, 1 << 20);
    const std::vector<bb::CopySegment> copy{bb::CopySegment{a.get(), b.get(), 1, 1 << 20, 0, 0}};
    world.synchronize();
    enqueue_rows(world, dev, n, copy);
    wait_rows(world, dev, n, copy);
  });
#endif
  return 0;
}
