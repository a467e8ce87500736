#pragma once
// The one timing loop. Every timed thing of the suite (a bridge round trip eager or as a graph
// replay, a collective through the phase recorder, a collective timed the nccl-tests way) is a
// LoopBody: what one iteration enqueues on this rank and what it reads back. The loop owns the
// cadence, the warm-up, the launch gate, the GPU alignment, the launch-skew record and the
// max-over-ranks of every sample, so a backend or mode never re-implements any of them.
//
// Isolated cadence, per iteration, on every world rank:
//   host barrier | [test-only delay] | t_launch | hold gate | align GPUs | body | open gate | wait
// The gate keeps this rank's GPU still until the whole iteration is queued, and the alignment
// (a stream-ordered barrier of the world) releases the GPUs together, so no measured phase can
// include the time a GPU waits for another rank's host. What it excludes: the alignment itself
// and every host-side launch latency. Streaming cadence: the same once, then the iterations
// back to back as the host enqueues them (nccl-tests' loop): a host slower than its GPU, or a
// rank launching late, shows in the samples there, and the recorded skew says by how much.
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "device/device.hpp"

namespace bb {

enum class Cadence { isolated, streaming };
const char* cadence_name(Cadence c);
Cadence parse_cadence(const std::string& s);  // Error("bad_flag") names the choices

struct LoopOptions {
  Cadence cadence = Cadence::isolated;
  int warmup = 3;          // at least this many warm-up iterations...
  double warmup_ms = 50;   // ...and at least this long (agreed over ranks from the first one)
  int iterations = 20;
  double gate_timeout_s = 10;  // a gate still closed then opens by itself (counted, never a hang)
  // Test-only fault injection: world rank `delay_rank` waits `delay_ms` (a spin on the steady
  // clock, so the delay is exact) after the host barrier and before it launches anything of the
  // iteration, the alignment included: exactly the host launch skew a real machine shows.
  int delay_rank = -1;
  double delay_ms = 0;
  // Only every delay_every-th iteration (it % delay_every == 0): with 2, delayed and undelayed
  // iterations alternate in one run, so the two are compared in the same machine state.
  int delay_every = 1;
};

struct LoopBody {
  // This rank's launches for iteration `it` (ranks with nothing to run pass an empty function).
  // `fresh`: every earlier iteration has been read, so per-iteration marks may be reused.
  std::function<void(int it, bool fresh)> enqueue;
  // After iteration `it` completed: this rank's `values` samples of it (ms). Streaming reads
  // every iteration after the whole batch, so the body must keep what it needs per iteration.
  std::function<std::vector<double>(int it)> read;
  size_t values = 0;
  // Called on every rank, collectively, just before the first measured iteration.
  std::function<void()> before_measured;
};

struct LoopSamples {
  // values[v][i]: sample v of measured iteration i, max over the world's ranks.
  std::vector<std::vector<double>> values;
  // Per measured iteration: latest minus earliest first launch over the world's ranks (ms;
  // the clock is the host's steady clock, shared by the threads and processes of one host).
  std::vector<double> launch_skew_ms;
  // Per measured iteration: the longest time a rank's host took to enqueue it (ms).
  std::vector<double> launch_ms;
  int warmup_used = 0;
  int gate_expiries = 0;  // max over ranks; > 0 means some iteration was not fully gated
};

LoopSamples run_timing_loop(Comm& world, Device& dev, const LoopOptions& opts, const LoopBody& body);

}  // namespace bb
