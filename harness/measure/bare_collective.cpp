#include "measure/bare_collective.hpp"

#include <cstdio>
#include <memory>
#include <algorithm>
#include <map>

#include "measure/timing_loop.hpp"
#include "pattern.hpp"

namespace bb {

namespace {

PatternGeom flat(int64_t elems, DType t) {
  PatternGeom g{};
  g.layout = 0;
  g.dtype = int(t);
  g.b = 1;
  g.s_local = g.s_full = 1;
  g.h = elems;
  g.cp_size = 1;
  g.cp_rank = -1;
  g.salt = 0x5EED;
  return g;
}

std::vector<int64_t> from(int world_rank) { return {world_rank, world_rank}; }

// The three ways of the interleaved loop, in iteration order.
enum Way { out_of_place = 0, in_place = 1, suite = 2, kWays = 3 };

// One rank's buffers and the two placements of the collective over them.
struct Bufs {
  Comm* group;
  Device& dev;
  const BareSpec& spec;
  bool gather;
  size_t es;
  int64_t elems, block;
  DeviceBuffer send, recv;
  // A non-default NCCL path: both buffers inside one registered arena from the backend.
  void* path_send = nullptr;
  void* path_recv = nullptr;
  size_t path_recv_bytes = 0;
  void* sp() const { return path_send ? path_send : send.get(); }
  void* rp() const { return path_recv ? path_recv : recv.get(); }
  size_t rbytes() const { return path_recv ? path_recv_bytes : recv.bytes(); }

  char* own_block() { return static_cast<char*>(rp()) + size_t(group->rank() * (gather ? elems : block)) * es; }
  void run(bool inplace) {
    if (gather) group->all_gather(inplace ? own_block() : sp(), rp(), size_t(spec.bytes));
    else group->all_reduce_sum(inplace ? rp() : sp(), rp(), size_t(elems), spec.dtype);
  }
  // Poison, fill, run once, verify every block against the pattern of the rank that sent it.
  int64_t check(bool inplace, std::string* first) {
    const int me = group->world_ranks()[size_t(group->rank())];
    dev.poison(rp(), rbytes());
    if (gather) {
      dev.fill(inplace ? own_block() : sp(), flat(elems, spec.dtype), from(me));
    } else if (inplace) {
      dev.copy({CopySegment{rp(), sp(), 1, elems * int64_t(es), 0, 0}});
    }
    group->set_phase(std::string("bare ") + spec.op + (inplace ? " (in place)" : " (out of place)"));
    run(inplace);
    group->synchronize();
    int64_t wrong = 0;
    const int n = group->size();
    for (int k = 0; k < n; ++k) {
      const int src = group->world_ranks()[size_t(k)];
      const int64_t len = gather ? elems : block;
      VerifyResult v = dev.verify(static_cast<char*>(rp()) + size_t(k * len) * es, flat(len, spec.dtype), from(src));
      if (v.mismatches && first->empty())
        *first = "bare " + spec.op + (inplace ? " in place" : " out of place") + ": block from world rank " +
                 std::to_string(src) + " on world rank " + std::to_string(me) + ": " +
                 std::to_string(v.mismatches) + " wrong elements";
      wrong += v.mismatches;
    }
    return wrong;
  }
};

}  // namespace

BareResult time_bare_collective(Comm& world, Comm* group, Device& dev, const BareSpec& spec) {
  BareResult r;
  const size_t es = dtype_size(spec.dtype);
  const bool gather = spec.op == "all_gather";
  if (!gather && spec.op != "all_reduce") throw Error("bad_op", "bare collective '" + spec.op + "'");
  const int n = group ? group->size() : 1;
  r.group_size = spec.groups.empty() ? 1 : int(spec.groups[0].size());
  r.suite_in_place = !gather;  // the bridge reduces its gradient in place, gathers out of place
  const int64_t elems = spec.bytes / int64_t(es);
  const int64_t block = gather ? elems : elems / std::max(n, 1);
  r.bytes_per_rank = gather ? spec.bytes * (r.group_size - 1) : 2 * (r.group_size - 1) * spec.bytes / r.group_size;
  r.coll_bytes = gather ? spec.bytes * r.group_size : spec.bytes;
  r.bus_factor = gather ? double(r.group_size - 1) / r.group_size : 2.0 * (r.group_size - 1) / r.group_size;

  // One budget check before anything is allocated, agreed by every rank.
  int members = 0;
  for (const auto& g : spec.groups) members += int(g.size());
  const double need = double(elems) * double(es) * (gather ? 1.0 + n : 2.0) * (world.backend() == "nccl" ? 1 : members);
  const int64_t budget = group ? dev.memory_budget_bytes() : -1;
  const bool too_big = budget >= 0 && need > 0.9 * double(budget);
  if (world.max_over_ranks(too_big ? 1.0 : 0.0) > 0)
    throw Error("out_of_memory_budget", "bare " + spec.op + " of " + std::to_string(spec.bytes) + " bytes per rank needs " +
                                            std::to_string(int64_t(need) >> 20) + " MiB on a device" +
                                            (too_big ? " that has " + std::to_string(budget >> 20) + " MiB free" : ""));

  // The path's provider (nullptr on the default path) and its arena, released (deregistered,
  // then freed) when this function returns or throws.
  std::unique_ptr<BufferProvider> provider = world.buffer_provider(spec.nccl_path);
  struct Arena {
    BufferProvider* p = nullptr;
    char* base = nullptr;
    ~Arena() {
      if (p && base) {
        try {
          p->release(base);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "bridgebench: releasing a bare collective's path buffers: %s\n", e.what());
        }
      }
    }
  } arena;
  arena.p = provider.get();
  Bufs b{group, dev, spec, gather, es, elems, block, {}, {}};
  int64_t wrong = 0;
  if (group) {
    const size_t send_bytes = size_t(elems) * es, recv_bytes = size_t(gather ? elems * n : elems) * es;
    if (provider) {  // equal sizes on every rank: the recv slot sits at the same window offset
      const size_t off = size_t(window_round(int64_t(send_bytes)));
      arena.base = static_cast<char*>(provider->acquire(off + recv_bytes, {group}));
      b.path_send = arena.base;
      b.path_recv = arena.base + off;
      b.path_recv_bytes = recv_bytes;
    } else {
      b.send = DeviceBuffer(dev, send_bytes);
      b.recv = DeviceBuffer(dev, recv_bytes);
    }
    if (!gather) {  // zero everywhere but this rank's block, like the CP rank's padded gradient
      const int me = group->world_ranks()[size_t(group->rank())];
      dev.copy({CopySegment{b.sp(), nullptr, 1, elems * int64_t(es), 0, 0}});
      dev.fill(static_cast<char*>(b.sp()) + size_t(group->rank() * block) * es, flat(block, spec.dtype), from(me));
    }
    wrong += b.check(false, &r.first_mismatch);
    wrong += b.check(true, &r.first_mismatch);
  }
  for (double w : world.gather_over_ranks(double(wrong))) r.wrong += int64_t(w);
  r.ok = r.wrong == 0;
  if (!r.ok) return r;

  // Timed runs keep reducing the same buffer: the values change, the work does not.
  PhaseRecorder rec(dev, true, spec.nvtx, spec.cupti);
  std::map<int, std::pair<int, int>> marks;  // iteration -> (first, last) mark of a nccl-tests sample
  LoopBody body;
  body.values = 1;
  if (group) {
    body.enqueue = [&](int it, bool) {
      const Way way = Way(it % kWays);
      if (way == suite) {
        rec.begin_iteration();
        group->set_phase(phase_name(spec.phase));
        rec.begin(spec.phase);
        b.run(r.suite_in_place);
        rec.end_iteration();
        return;
      }
      dev.reset_marks();
      const int a = dev.mark();
      for (int k = 0; k < spec.launches; ++k) b.run(way == in_place);
      marks[it] = {a, dev.mark()};
    };
    body.read = [&](int it) -> std::vector<double> {
      if (Way(it % kWays) == suite) return {rec.phase_ms()[size_t(spec.phase)]};
      const auto m = marks.at(it);
      marks.erase(it);
      return {dev.elapsed_ms(m.first, m.second) / spec.launches};
    };
  }
  LoopOptions lo;
  lo.warmup = spec.warmup;
  lo.warmup_ms = 50;
  lo.iterations = kWays * spec.iterations;
  lo.delay_rank = spec.delay_rank;
  lo.delay_ms = spec.delay_ms;
  LoopSamples ls = run_timing_loop(world, dev, lo, body);
  for (size_t i = 0; i < ls.values[0].size(); ++i) {
    const int it = ls.warmup_used + int(i);
    const double t = ls.values[0][i];
    switch (Way(it % kWays)) {
      case out_of_place: r.ms.push_back(t); break;
      case in_place: r.in_place_ms.push_back(t); break;
      default:
        r.suite_ms.push_back(t);
        r.launch_skew_ms.push_back(ls.launch_skew_ms[i]);
    }
  }
  return r;
}

}  // namespace bb
