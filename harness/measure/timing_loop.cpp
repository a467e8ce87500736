#include "measure/timing_loop.hpp"

#include <algorithm>
#include <chrono>

namespace bb {

const char* cadence_name(Cadence c) { return c == Cadence::isolated ? "isolated" : "streaming"; }

Cadence parse_cadence(const std::string& s) {
  if (s == "isolated") return Cadence::isolated;
  if (s == "streaming") return Cadence::streaming;
  throw Error("bad_flag", "--cadence is isolated or streaming (got '" + s + "')");
}

namespace {

using Clock = std::chrono::steady_clock;

double now_ms() { return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count(); }

// A spin, not a sleep: a sleep of 2 ms can take 2.1 or 2.5 ms, and the test needs the delay exact.
void spin_for_ms(double ms) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
  while (Clock::now() < until) {
  }
}

struct Stamp {
  double first = 0, last = 0;  // host clock at the iteration's first launch and after its last
};

}  // namespace

LoopSamples run_timing_loop(Comm& world, Device& dev, const LoopOptions& opts, const LoopBody& body) {
  const bool delayed = opts.delay_rank == world.world_ranks()[size_t(world.rank())] && opts.delay_ms > 0;
  auto delay = [&] {
    if (delayed) spin_for_ms(opts.delay_ms);
  };
  auto enqueue = [&](int it, bool fresh) {
    if (body.enqueue) body.enqueue(it, fresh);
  };
  // One isolated iteration: everything of it queued behind the gate, then the GPUs aligned.
  auto isolated = [&](int it) {
    world.barrier();
    delay();
    Stamp s;
    s.first = now_ms();
    dev.hold_gate(opts.gate_timeout_s);
    world.align();
    enqueue(it, true);
    s.last = now_ms();
    dev.open_gate();
    world.synchronize();
    return s;
  };

  LoopSamples out;
  const int expired_before = dev.gate_expiries();
  // Warm-up: isolated iterations; the first one's wall time sets how many reach warmup_ms.
  int warmup = std::max(opts.warmup, 1);
  for (int it = 0; it < warmup; ++it) {
    const auto t0 = Clock::now();
    isolated(it);
    if (body.read) body.read(it);  // keeps per-iteration state of the body in step
    if (it == 0) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      const int need = ms > 0 ? int(opts.warmup_ms / ms) + 1 : 1;
      warmup = std::max(warmup, int(world.max_over_ranks(double(std::min(need, 1000)))));
    }
  }
  out.warmup_used = warmup;
  if (body.before_measured) body.before_measured();

  const int n = opts.iterations;
  std::vector<Stamp> stamps(size_t(std::max(n, 0)));
  std::vector<std::vector<double>> mine(size_t(std::max(n, 0)));
  if (opts.cadence == Cadence::isolated) {
    for (int i = 0; i < n; ++i) {
      stamps[size_t(i)] = isolated(warmup + i);
      if (body.read) mine[size_t(i)] = body.read(warmup + i);
    }
  } else {
    // Aligned once; then back to back, as fast as this rank's host enqueues.
    world.barrier();
    for (int i = 0; i < n; ++i) {
      delay();
      Stamp& s = stamps[size_t(i)];
      s.first = now_ms();
      if (i == 0) {
        dev.hold_gate(opts.gate_timeout_s);
        world.align();
      }
      enqueue(warmup + i, i == 0);
      s.last = now_ms();
      if (i == 0) dev.open_gate();
    }
    world.synchronize();
    for (int i = 0; i < n; ++i)
      if (body.read) mine[size_t(i)] = body.read(warmup + i);
  }

  // Agreements, after the timed region: max over ranks of every sample, skew from the stamps.
  out.values.assign(body.values, std::vector<double>(size_t(std::max(n, 0)), 0.0));
  for (int i = 0; i < n; ++i) {
    const auto& v = mine[size_t(i)];
    for (size_t k = 0; k < body.values; ++k) out.values[k][size_t(i)] = world.max_over_ranks(k < v.size() ? v[k] : 0.0);
    const Stamp& s = stamps[size_t(i)];
    const double latest = world.max_over_ranks(s.first), earliest = -world.max_over_ranks(-s.first);
    out.launch_skew_ms.push_back(latest - earliest);
    out.launch_ms.push_back(world.max_over_ranks(s.last - s.first));
  }
  out.gate_expiries = int(world.max_over_ranks(double(dev.gate_expiries() - expired_before)));
  return out;
}

}  // namespace bb
