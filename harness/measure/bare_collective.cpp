#include "measure/bare_collective.hpp"

#include <algorithm>

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

}  // namespace

BareResult time_bare_collective(Comm& world, Comm* group, Device& dev, const BareSpec& spec) {
  BareResult r;
  const size_t es = dtype_size(spec.dtype);
  const bool gather = spec.op == "all_gather";
  if (!gather && spec.op != "all_reduce") throw Error("bad_op", "bare collective '" + spec.op + "'");
  const int n = group ? group->size() : 1;
  r.group_size = spec.groups.empty() ? 1 : int(spec.groups[0].size());
  const int64_t elems = spec.bytes / int64_t(es);
  const int64_t block = gather ? elems : elems / std::max(n, 1);
  r.bytes_per_rank = gather ? spec.bytes * (r.group_size - 1) : 2 * (r.group_size - 1) * spec.bytes / r.group_size;
  r.coll_bytes = gather ? spec.bytes * r.group_size : spec.bytes;
  r.bus_factor = gather ? double(r.group_size - 1) / r.group_size : 2.0 * (r.group_size - 1) / r.group_size;

  DeviceBuffer send, recv;
  int64_t mismatches = 0;
  if (group) {
    send = DeviceBuffer(dev, size_t(elems) * es);
    recv = DeviceBuffer(dev, size_t(gather ? elems * n : elems) * es);
    const int me = group->world_ranks()[size_t(group->rank())];
    if (gather) {
      dev.fill(send.get(), flat(elems, spec.dtype), from(me));
    } else {  // zero everywhere but this rank's block, like the CP rank's padded gradient
      dev.copy({CopySegment{send.get(), nullptr, 1, elems * int64_t(es), 0, 0}});
      dev.fill(static_cast<char*>(send.get()) + size_t(group->rank() * block) * es, flat(block, spec.dtype), from(me));
    }
    dev.poison(recv.get(), recv.bytes());
    group->set_phase("bare " + spec.op);
    if (gather) {
      group->all_gather(send.get(), recv.get(), size_t(spec.bytes));
    } else {  // in place, as the bridge reduces its gradient
      dev.copy({CopySegment{recv.get(), send.get(), 1, elems * int64_t(es), 0, 0}});
      group->all_reduce_sum(recv.get(), recv.get(), size_t(elems), spec.dtype);
    }
    world.synchronize();
    for (int k = 0; k < n; ++k) {
      const int src = group->world_ranks()[size_t(k)];
      const int64_t len = gather ? elems : block;
      VerifyResult v = dev.verify(static_cast<char*>(recv.get()) + size_t(k * len) * es, flat(len, spec.dtype), from(src));
      if (v.mismatches && r.first_mismatch.empty())
        r.first_mismatch = "bare " + spec.op + ": block from world rank " + std::to_string(src) + " on world rank " +
                           std::to_string(me) + ": " + std::to_string(v.mismatches) + " wrong elements";
      mismatches += v.mismatches;
    }
  }
  r.ok = world.max_over_ranks(mismatches ? 1.0 : 0.0) == 0.0;
  if (!r.ok) return r;
  // Timed runs keep reducing the same buffer: the values change, the work does not.
  auto run = [&] {
    if (gather) group->all_gather(send.get(), recv.get(), size_t(spec.bytes));
    else group->all_reduce_sum(recv.get(), recv.get(), size_t(elems), spec.dtype);
  };
  PhaseRecorder rec(dev, true, spec.nvtx, spec.cupti);
  for (int it = 0; it < 2 * (spec.warmup + spec.iterations); ++it) {
    const bool through_suite = it % 2 == 1;  // interleaved, so drift hits both alike
    world.barrier();
    double t = 0;
    if (group && !through_suite) {
      dev.reset_marks();
      int a = dev.mark();
      run();
      int b = dev.mark();
      world.synchronize();
      t = dev.elapsed_ms(a, b);
    } else if (group) {
      rec.begin_iteration();
      group->set_phase(phase_name(spec.phase));
      rec.begin(spec.phase);
      run();
      rec.end_iteration();
      world.synchronize();
      t = rec.phase_ms()[size_t(spec.phase)];
    } else {
      world.synchronize();
    }
    t = world.max_over_ranks(t);
    if (it / 2 >= spec.warmup) (through_suite ? r.suite_ms : r.ms).push_back(t);
  }
  return r;
}

}  // namespace bb
