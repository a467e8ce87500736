#pragma once
// How a host thread waits for what the GPU or NCCL's own threads finish (a stream, a
// non-blocking NCCL call): it yields for the first spin window, then sleeps in short steps.
// A bare sleep_for(20us) per poll took 104 us at the median (up to 0.5 ms) on the CPU machine,
// and such a sleep sat between every NCCL launch and the next; the yield loop notices completion
// within microseconds and still lets NCCL's launch thread run on a busy core. After the window a
// long wait (a collective of many ms, a hang that will time out) stops burning the core.
// bench/host_latency measures both on the GPU machine (reports/host-latency).
#include <chrono>
#include <thread>

namespace bb {

class PollWait {
 public:
  explicit PollWait(double spin_us = 2000) : t0_(std::chrono::steady_clock::now()), spin_us_(spin_us) {}
  void pause() {
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0_).count();
    if (us < spin_us_) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(20));
  }

 private:
  std::chrono::steady_clock::time_point t0_;
  double spin_us_;
};

}  // namespace bb
