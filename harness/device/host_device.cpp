#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include <unistd.h>

#include "device/device.hpp"
#include "host_kernels.hpp"

namespace bb {
namespace {

class HostDevice final : public Device {
 public:
  std::string kind() const override { return "host"; }
  void* alloc(size_t bytes) override {
    // 64-byte alignment, like a device allocation, so vector-width choices match the GPU path.
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) throw Error("out_of_memory", "host allocation of " + std::to_string(bytes) + " bytes failed");
    return p;
  }
  void release(void* p) override { std::free(p); }
  void copy(const std::vector<CopySegment>& segs) override { host_copy_segments(segs); }
  void fill(void* t, const PatternGeom& g, const std::vector<int64_t>& table) override {
    host_fill_pattern(t, g, table.data());
  }
  void poison(void* t, size_t bytes) override { std::memset(t, 0xff, bytes); }
  VerifyResult verify(const void* t, const PatternGeom& g, const std::vector<int64_t>& table) override {
    return host_verify_pattern(t, g, table.data());
  }
  void sum(void* dst, const std::vector<const void*>& srcs, int64_t count, DType t) override {
    host_sum(dst, srcs, count, int(t));
  }
  int mark() override {
    marks_.push_back(std::chrono::steady_clock::now());
    return int(marks_.size()) - 1;
  }
  double elapsed_ms(int a, int b) override {
    return std::chrono::duration<double, std::milli>(marks_.at(size_t(b)) - marks_.at(size_t(a))).count();
  }
  void reset_marks() override { marks_.clear(); }
  // A yielding wait: the host ranks are threads that oversubscribe the cores. A plain spin takes
  // the cores the other ranks' work needs (measured at world 8: +830% for a 50% delay of
  // fwd_comm, and a 150x slower bwd_local after it); a sleep wakes late on a loaded machine
  // (~1-2 ms at load 14 on 2 cores, x3 for that 50%). Yielding lets the others run and stays
  // runnable, so the wait ends within a time slice of its deadline.
  void wait_us(double us) override {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                              std::chrono::duration<double, std::micro>(us));
    while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  }
  void synchronize() override {}
  void* native_stream() override { return nullptr; }
  int64_t memory_budget_bytes() const override {
    return int64_t(sysconf(_SC_AVPHYS_PAGES)) * int64_t(sysconf(_SC_PAGESIZE));
  }

 private:
  std::vector<std::chrono::steady_clock::time_point> marks_;
};

}  // namespace

std::unique_ptr<Device> make_host_device() { return std::make_unique<HostDevice>(); }

}  // namespace bb
