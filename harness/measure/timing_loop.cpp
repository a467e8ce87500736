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

// This rank's raw record of the measured iterations, before any agreement over the world.
struct Measured {
  std::vector<Stamp> stamps;
  std::vector<std::vector<double>> mine;  // the body's values per iteration (empty: no read)
};

// One run of the loop on this rank: the warm-up, the measured iterations in either cadence,
// then the agreements. Every rank runs the same calls, since each collective step is collective.
class Loop {
 public:
  Loop(Comm& world, Device& dev, const LoopOptions& opts, const LoopBody& body)
      : world_(world), dev_(dev), opts_(opts), body_(body),
        delayed_(opts.delay_rank == world.world_ranks()[size_t(world.rank())] && opts.delay_ms > 0) {}

  // Isolated iterations: at least opts.warmup, and as many as the first one's wall time says
  // reach warmup_ms (agreed over the ranks, at most 1000). Returns how many ran.
  int warm_up() {
    int warmup = std::max(opts_.warmup, 1);
    for (int it = 0; it < warmup; ++it) {
      const auto t0 = Clock::now();
      isolated(it);
      read(it);  // keeps per-iteration state of the body in step
      if (it == 0) {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        const int need = ms > 0 ? int(opts_.warmup_ms / ms) + 1 : 1;
        warmup = std::max(warmup, int(world_.max_over_ranks(double(std::min(need, 1000)))));
      }
    }
    return warmup;
  }

  // Iterations first .. first+n-1, each isolated and read as soon as it completes.
  Measured isolated_iterations(int first, int n) {
    Measured m{std::vector<Stamp>(size_t(n)), std::vector<std::vector<double>>(size_t(n))};
    for (int i = 0; i < n; ++i) {
      m.stamps[size_t(i)] = isolated(first + i);
      m.mine[size_t(i)] = read(first + i);
    }
    return m;
  }

  // Aligned once; then back to back, as fast as this rank's host enqueues; read after the batch.
  Measured streaming_iterations(int first, int n) {
    Measured m{std::vector<Stamp>(size_t(n)), std::vector<std::vector<double>>(size_t(n))};
    world_.barrier();
    for (int i = 0; i < n; ++i) {
      delay(first + i);
      Stamp& s = m.stamps[size_t(i)];
      s.first = now_ms();
      if (i == 0) {
        dev_.hold_gate(opts_.gate_timeout_s);
        world_.align();
      }
      enqueue(first + i, i == 0);
      s.last = now_ms();
      if (i == 0) dev_.open_gate();
    }
    world_.synchronize();
    for (int i = 0; i < n; ++i) m.mine[size_t(i)] = read(first + i);
    return m;
  }

  // Agreements, after the timed region: max over ranks of every sample, skew from the stamps.
  LoopSamples agree(const Measured& m) {
    LoopSamples out;
    const size_t n = m.stamps.size();
    out.values.assign(body_.values, std::vector<double>(n, 0.0));
    // One agreement for everything: per iteration the values, the latest and (negated) earliest
    // first launch, and the enqueue time.
    const size_t per = body_.values + 3;
    std::vector<double> all(n * per, 0.0);
    for (size_t i = 0; i < n; ++i) {
      const auto& v = m.mine[i];
      for (size_t k = 0; k < body_.values && k < v.size(); ++k) all[i * per + k] = v[k];
      const Stamp& s = m.stamps[i];
      all[i * per + body_.values] = s.first;
      all[i * per + body_.values + 1] = -s.first;
      all[i * per + body_.values + 2] = s.last - s.first;
    }
    all = world_.max_over_ranks_each(std::move(all));
    for (size_t i = 0; i < n; ++i) {
      const double* a = &all[i * per];
      for (size_t k = 0; k < body_.values; ++k) out.values[k][i] = a[k];
      out.launch_skew_ms.push_back(a[body_.values] + a[body_.values + 1]);  // latest - earliest
      out.launch_ms.push_back(a[body_.values + 2]);
    }
    return out;
  }

 private:
  void delay(int it) {
    if (delayed_ && it % std::max(opts_.delay_every, 1) == 0) spin_for_ms(opts_.delay_ms);
  }
  void enqueue(int it, bool fresh) {
    if (body_.enqueue) body_.enqueue(it, fresh);
  }
  std::vector<double> read(int it) { return body_.read ? body_.read(it) : std::vector<double>{}; }

  // One isolated iteration: everything of it queued behind the gate, then the GPUs aligned.
  Stamp isolated(int it) {
    world_.barrier();
    delay(it);
    Stamp s;
    s.first = now_ms();
    dev_.hold_gate(opts_.gate_timeout_s);
    world_.align();
    enqueue(it, true);
    s.last = now_ms();
    dev_.open_gate();
    world_.synchronize();
    return s;
  }

  Comm& world_;
  Device& dev_;
  const LoopOptions& opts_;
  const LoopBody& body_;
  const bool delayed_;
};

}  // namespace

LoopSamples run_timing_loop(Comm& world, Device& dev, const LoopOptions& opts, const LoopBody& body) {
  Loop loop(world, dev, opts, body);
  const int expired_before = dev.gate_expiries();
  const int warmup = loop.warm_up();
  if (body.before_measured) body.before_measured();
  const int n = std::max(opts.iterations, 0);
  const Measured m =
      opts.cadence == Cadence::isolated ? loop.isolated_iterations(warmup, n) : loop.streaming_iterations(warmup, n);
  LoopSamples out = loop.agree(m);
  out.warmup_used = warmup;
  out.gate_expiries = int(world.max_over_ranks(double(dev.gate_expiries() - expired_before)));
  return out;
}

}  // namespace bb
