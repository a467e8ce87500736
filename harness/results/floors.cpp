#include "results/floors.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "comm/backend.hpp"

namespace bb {
namespace {

using clk = std::chrono::steady_clock;

// Best (shortest) time of `reps` copies of `bytes`, in seconds.
double best_copy_s(char* dst, const char* src, size_t bytes, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = clk::now();
    std::memcpy(dst, src, bytes);
    const auto t1 = clk::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

// Sizes from cache-resident to DRAM: a phase may move a few KiB or many MiB.
const std::vector<size_t>& sizes() {
  static const std::vector<size_t> s{size_t(64) << 10, size_t(1) << 20, size_t(8) << 20, size_t(64) << 20};
  return s;
}

}  // namespace

double host_peak_copy_GBps() {
  double best = 0;
  std::vector<char> a(sizes().back(), 1), b(sizes().back(), 2);
  for (size_t n : sizes()) {
    const int reps = int(std::clamp<size_t>((size_t(256) << 20) / n, 3, 200));
    best = std::max(best, 2.0 * double(n) / best_copy_s(b.data(), a.data(), n, reps) / 1e9);
  }
  return best;
}

double host_shared_copy_GBps(int threads) {
  double best = 0;
  for (size_t n : {size_t(64) << 10, size_t(1) << 20, size_t(16) << 20}) {
    std::vector<std::vector<char>> src(size_t(threads), std::vector<char>(n, 1)), dst(size_t(threads), std::vector<char>(n, 2));
    const int per_thread = int(std::clamp<size_t>((size_t(32) << 20) / n, 2, 64));
    for (int rep = 0; rep < 3; ++rep) {
      // Threads start together (after all exist) and the span runs to the last one's end, so
      // thread creation is not counted as copy time (that would lower the bandwidth and raise
      // the floor above what the ranks can do).
      std::atomic<int> ready{0};
      std::atomic<bool> go{false};
      std::vector<clk::time_point> ends(static_cast<size_t>(threads));
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
          ready.fetch_add(1);
          while (!go.load()) std::this_thread::yield();
          for (int k = 0; k < per_thread; ++k) std::memcpy(dst[size_t(t)].data(), src[size_t(t)].data(), n);
          ends[size_t(t)] = clk::now();
        });
      while (ready.load() < threads) std::this_thread::yield();
      const auto t0 = clk::now();
      go.store(true);
      for (auto& t : ts) t.join();
      const double s = std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) - t0).count();
      if (s > 0) best = std::max(best, 2.0 * double(per_thread) * double(n) * threads / s / 1e9);
    }
  }
  return best;
}

Floors floors_for(const std::string& backend, int world) {
  Floors f;
  const BackendTraits& t = backend_traits(backend);
  f.collectives_over_links = t.over_links;
  if (!t.gpu) {  // host RAM: measured here
    f.copy_GBps = host_peak_copy_GBps();
    // More threads than cores do not copy faster; the world's threads share these cores.
    const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
    f.shared_copy_GBps = host_shared_copy_GBps(std::max(1, std::min(world, hw)));
  }
  return f;
}

}  // namespace bb
