// Bandwidth of the bridge's local ops (one segment-list launch each) against cudaMemcpyAsync D2D
// on the same GPU in the same run. Sizes are the op's output in MiB; bf16, h = s = 4096, so one
// sample of a full-sequence tensor is 32 MiB. Each op is verified once against the oracle pattern
// (input filled, output poisoned, verified on the GPU) before it is timed; a wrong result fails the
// run. Timing: CUDA events around kReps back-to-back launches over rotating buffer sets larger than
// L2, after a warm-up; Google Benchmark's manual time, repetitions and medians.
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "boxes.hpp"
#include "comm/gpu_launch.hpp"
#include "device/cuda_device.hpp"

namespace bb {
namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kS = 4096, kH = 4096, kEs = 2;  // bf16
constexpr int kReps = 8;                          // launches per timed iteration
constexpr int kIters = 25;                        // timed iterations per repetition

std::unique_ptr<Device> g_dev;
bool g_failed = false;
int64_t g_l2_bytes = 50 * kMiB;
std::map<int64_t, double> g_memcpy_gbps;  // by size arg, from this run

struct Piece {  // a pattern-filled (or verified) region of a buffer
  size_t off;
  PatternGeom g;
  std::vector<int64_t> table;
};
struct Buffer {
  DeviceBuffer mem;
  std::vector<Piece> pieces;
  char* at(const Piece& p) const { return static_cast<char*>(mem.get()) + p.off; }
};
struct Case {  // one buffer set of an op
  std::vector<Buffer> ins;
  Buffer out;
  std::vector<CopySegment> segs;  // empty: cudaMemcpyAsync of the whole input
  int64_t traffic = 0;            // bytes read + written
  size_t bytes() const {
    size_t n = out.mem.bytes();
    for (auto& b : ins) n += b.mem.bytes();
    return n;
  }
};

PatternGeom geom(MemOrder l, int64_t b, int64_t s_local, int64_t s_full, int c, int r) {
  return PatternGeom{int(l), int(DType::bf16), b, s_local, s_full, kH, c, r, 0xb1u};
}
std::vector<int64_t> table(int64_t b, int c, const std::function<int64_t(int64_t, int)>& sample) {
  std::vector<int64_t> t;
  for (int64_t i = 0; i < b; ++i)
    for (int ch = 0; ch < 2 * c; ++ch) t.push_back(sample(i, ch));
  return t;
}
int64_t bytes_of(const PatternGeom& g) { return pattern_elems(g) * kEs; }
Buffer buffer(std::vector<Piece> pieces) {
  size_t n = 0;
  for (auto& p : pieces) n = std::max(n, p.off + size_t(bytes_of(p.g)));
  return Buffer{DeviceBuffer(*g_dev, n), std::move(pieces)};
}
TensorRef ref(const Buffer& b, size_t piece = 0) {
  const Piece& p = b.pieces[piece];
  return TensorRef{b.at(p), MemOrder(p.g.mem), p.g.b, p.g.s_local, p.g.h, kEs};
}
auto ident = [](int64_t i, int) { return i; };

using Make = std::function<Case(int64_t k)>;  // k = output samples (output = k * 32 MiB)

Case narrow(int64_t k, MemOrder l) {
  Case c;
  c.ins.push_back(buffer({{0, geom(l, 2 * k, kS, kS, 1, -1), table(2 * k, 1, ident)}}));
  c.out = buffer({{0, geom(l, k, kS, kS, 1, -1), table(k, 1, [&](int64_t i, int) { return k + i; })}});
  c.segs = narrow_segments(ref(c.out), ref(c.ins[0]), k, k);
  return c;
}
Case gather_fixup(int64_t k) {  // two ranks' contiguous sbh tensors, back to back
  const int64_t be = std::max<int64_t>(1, k / 2);
  const auto g = geom(MemOrder::sbh, be, kS, kS, 1, -1);
  Case c;
  c.ins.push_back(buffer({{0, g, table(be, 1, ident)},
                          {size_t(bytes_of(g)), g, table(be, 1, [&](int64_t i, int) { return be + i; })}}));
  c.out = buffer({{0, geom(MemOrder::sbh, 2 * be, kS, kS, 1, -1), table(2 * be, 1, ident)}});
  c.segs = gather_fixup_segments(ref(c.out), ref(c.ins[0]), 2);
  return c;
}
Case cp_shard(int64_t k) {  // c = 2, rank 0: chunks 0 and 3 of a 2*kS sequence
  Case c;
  c.ins.push_back(buffer({{0, geom(MemOrder::sbh, k, 2 * kS, 2 * kS, 2, -1), table(k, 2, ident)}}));
  c.out = buffer({{0, geom(MemOrder::sbh, k, kS, 2 * kS, 2, 0), table(k, 2, ident)}});
  c.segs = cp_shard_segments(ref(c.out), ref(c.ins[0]), 2, 0);
  return c;
}
Case cp_adjoint(int64_t k) {  // c = 2, rank 0: zeros + the shard's two chunks, one launch
  Case c;
  c.ins.push_back(buffer({{0, geom(MemOrder::sbh, k, kS / 2, kS, 2, 0), table(k, 2, ident)}}));
  c.out = buffer({{0, geom(MemOrder::sbh, k, kS, kS, 2, -1),
                   table(k, 2, [](int64_t i, int ch) { return ch == 0 || ch == 3 ? i : -1; })}});
  c.segs = cp_adjoint_segments(ref(c.out), ref(c.ins[0]), 2, 0);
  return c;
}
Case relayout(int64_t k, MemOrder from) {
  const MemOrder to = from == MemOrder::bsh ? MemOrder::sbh : MemOrder::bsh;
  Case c;
  c.ins.push_back(buffer({{0, geom(from, k, kS, kS, 1, -1), table(k, 1, ident)}}));
  c.out = buffer({{0, geom(to, k, kS, kS, 1, -1), table(k, 1, ident)}});
  c.segs = relayout_segments(ref(c.out), ref(c.ins[0]));
  return c;
}
Case cp_unshard(int64_t k) {  // c = 2: two gathered shards back to the full sequence
  const auto g0 = geom(MemOrder::sbh, k, kS / 2, kS, 2, 0), g1 = geom(MemOrder::sbh, k, kS / 2, kS, 2, 1);
  Case c;
  c.ins.push_back(buffer({{0, g0, table(k, 2, ident)}, {size_t(bytes_of(g0)), g1, table(k, 2, ident)}}));
  c.out = buffer({{0, geom(MemOrder::sbh, k, kS, kS, 2, -1), table(k, 2, ident)}});
  c.segs = cp_unshard_segments(ref(c.out), ref(c.ins[0]), 2, 0, k);
  return c;
}
Case memcpy_case(int64_t k) {
  Case c;
  c.ins.push_back(buffer({{0, geom(MemOrder::bsh, k, kS, kS, 1, -1), table(k, 1, ident)}}));
  c.out = buffer({{0, geom(MemOrder::bsh, k, kS, kS, 1, -1), table(k, 1, ident)}});
  c.traffic = 2 * int64_t(c.out.mem.bytes());
  return c;
}

void run_op(const Case& c) {
  if (c.segs.empty()) {
    auto s = static_cast<cudaStream_t>(g_dev->native_stream());
    if (cudaMemcpyAsync(c.out.mem.get(), c.ins[0].mem.get(), c.out.mem.bytes(), cudaMemcpyDeviceToDevice, s) != cudaSuccess)
      throw Error("cuda_error", "cudaMemcpyAsync failed");
  } else {
    g_dev->copy(c.segs);
  }
}

void fill_inputs(Case& c) {
  for (auto& b : c.ins)
    for (auto& p : b.pieces) g_dev->fill(b.at(p), p.g, p.table);
}

void bm_op(benchmark::State& st, const std::string& name, Make make) {
  const int64_t mib = st.range(0), k = mib * kMiB / (kS * kH * kEs);
  std::vector<Case> sets;
  try {
    sets.push_back(make(k));
    Case& c0 = sets[0];
    if (c0.traffic == 0) c0.traffic = segment_traffic_bytes(c0.segs);
    fill_inputs(c0);
    g_dev->poison(c0.out.mem.get(), c0.out.mem.bytes());
    run_op(c0);
    for (auto& p : c0.out.pieces) {
      const VerifyResult v = g_dev->verify(c0.out.at(p), p.g, p.table);
      if (v.mismatches) {
        g_failed = true;
        char msg[200];
        std::snprintf(msg, sizeof msg, "%s: %lld mismatches, first at %lld (expected 0x%x, got 0x%x)", name.c_str(),
                      (long long)v.mismatches, (long long)v.first_index, v.expected_bits, v.actual_bits);
        st.SkipWithError(msg);
        return;
      }
    }
    // Rotate over enough sets that every pass touches several L2s' worth of memory.
    const size_t nsets = std::clamp<size_t>(size_t((4 * g_l2_bytes) / int64_t(c0.bytes())) + 1, 2, 8);
    while (sets.size() < nsets) {
      sets.push_back(make(k));
      sets.back().traffic = sets[0].traffic;
      fill_inputs(sets.back());
    }
    size_t next = 0;
    for (int w = 0; w < 3 * kReps; ++w) run_op(sets[next++ % sets.size()]);
    g_dev->synchronize();
    double total_ms = 0;
    for (auto _ : st) {
      g_dev->reset_marks();
      const int a = g_dev->mark();
      for (int r = 0; r < kReps; ++r) run_op(sets[next++ % sets.size()]);
      const int b = g_dev->mark();
      const double ms = g_dev->elapsed_ms(a, b) / kReps;
      total_ms += ms;
      st.SetIterationTime(ms / 1e3);
    }
    const double traffic = double(sets[0].traffic);
    const double gbps = traffic / (total_ms / double(st.iterations()) / 1e3) / 1e9;
    st.counters["bytes"] = traffic;
    st.counters["GB/s"] = gbps;
    if (name == "memcpy") g_memcpy_gbps[mib] = gbps;
    if (g_memcpy_gbps.count(mib)) st.counters["ratio_to_memcpy"] = gbps / g_memcpy_gbps[mib];
    st.counters["segments"] = double(sets[0].segs.size());
  } catch (const std::exception& e) {
    g_failed = true;
    st.SkipWithError((name + ": " + e.what()).c_str());
  }
}

}  // namespace
}  // namespace bb

int main(int argc, char** argv) {
  using namespace bb;
  benchmark::Initialize(&argc, argv);
  if (gpu_count_impl() == 0) {
    std::printf("bench_kernels: no CUDA GPU: skipped, nothing measured\n");
    return 0;
  }
  g_dev = make_cuda_device(0);
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    benchmark::AddCustomContext("device", prop.name);
    g_l2_bytes = std::max<int64_t>(prop.l2CacheSize, g_l2_bytes);
  }
  benchmark::AddCustomContext("shape", "bf16, h=4096, s=4096 per full-sequence sample; arg = output MiB");
  const std::vector<std::pair<std::string, Make>> ops = {
      {"memcpy", memcpy_case},
      {"narrow_bsh", [](int64_t k) { return narrow(k, MemOrder::bsh); }},
      {"narrow_sbh", [](int64_t k) { return narrow(k, MemOrder::sbh); }},
      {"gather_fixup_sbh", gather_fixup},
      {"cp_shard_sbh", cp_shard},
      {"cp_adjoint_sbh", cp_adjoint},
      {"relayout_bsh_to_sbh", [](int64_t k) { return relayout(k, MemOrder::bsh); }},
      {"relayout_sbh_to_bsh", [](int64_t k) { return relayout(k, MemOrder::sbh); }},
      {"cp_unshard_sbh", cp_unshard},
  };
  for (const auto& [name, make] : ops) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), [name = name, make = make](benchmark::State& st) {
      bm_op(st, name, make);
    });
    b->ArgName("MiB")->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kIters)->Repetitions(3);
    for (int64_t mib = 64; mib <= 1024; mib *= 2) b->Arg(mib);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_dev.reset();
  if (g_failed) std::fprintf(stderr, "bench_kernels: FAILED: an op produced a wrong result or a CUDA error\n");
  return g_failed ? 1 : 0;
}
