#include "measure/bare_collective.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "comm/collectives.hpp"
#include "measure/timing_loop.hpp"

namespace bb {

namespace {

// The four ways of the interleaved loop, in iteration order (iteration `it` runs way it % kWays).
enum Way { out_of_place = 0, in_place = 1, suite = 2, single = 3, kWays = 4 };

// What the row moves at the layout's group shape (semantics §10) and the bridge's placement.
void describe_row(const CollRow& row, const BareSpec& spec, BareResult& r) {
  r.group_size = spec.groups.empty() ? 1 : int(spec.groups[0].size());
  r.suite_in_place = row.bridge_in_place;
  const CollBytes cb = row.bytes(r.group_size, spec.bytes);
  r.bytes_per_rank = cb.bytes_per_rank;
  r.coll_bytes = cb.coll_bytes;
  r.bus_factor = cb.bus_factor;
}

// One budget check before anything is allocated, agreed by every rank, so all refuse together.
// Ranks that share one memory (thread simulations) each need their buffers there.
void check_budget(Comm& world, Comm* group, Device& dev, const BareSpec& spec, const CollRow& row) {
  const int n = group ? group->size() : 1;
  int members = 0;
  for (const auto& g : spec.groups) members += int(g.size());
  const CollBuffers b = row.buffers(n, spec.bytes);
  const double need = (double(b.send) + double(b.recv)) * (world.traits().shares_memory ? members : 1);
  const int64_t budget = group ? dev.memory_budget_bytes() : -1;
  const bool too_big = budget >= 0 && need > 0.9 * double(budget);
  if (world.max_over_ranks(too_big ? 1.0 : 0.0) > 0)
    throw Error("out_of_memory_budget", "bare " + spec.op + " of " + std::to_string(spec.bytes) + " bytes per rank needs " +
                                            std::to_string(int64_t(need) >> 20) + " MiB on a device" +
                                            (too_big ? " that has " + std::to_string(budget >> 20) + " MiB free" : ""));
}

// This rank's wrong elements over both placements, each run once from freshly filled buffers
// and compared with the oracle; the first mismatch is described in *first (placement named).
int64_t check_placements(Comm& group, BareCall& call, const BareSpec& spec, std::string* first) {
  int64_t wrong = 0;
  for (bool inplace : {false, true}) {
    const char* placement = inplace ? " (in place)" : " (out of place)";
    group.set_phase(std::string("bare ") + spec.op + placement);
    call.fill(inplace);
    call.run(inplace);
    group.synchronize();
    std::string here;
    wrong += call.verify(&here);
    if (!here.empty() && first->empty()) *first = here + placement;
  }
  return wrong;
}

// The four ways as one LoopBody on a member rank. The nccl-tests ways keep their own device
// marks per iteration (streaming reads them after the batch); the recorder ways read the
// recorder. Timed runs keep reducing the same buffer: the values change, the work does not.
struct WaysBody {
  Comm& group;
  Device& dev;
  BareCall& call;
  const BareSpec& spec;
  bool suite_in_place;
  PhaseRecorder& rec;
  std::map<int, std::pair<int, int>> marks;  // iteration -> (first, last) mark of a nccl-tests sample

  void enqueue(int it) {
    const Way way = Way(it % kWays);
    if (way == suite || way == single) {  // through the recorder: the same loop, or one launch
      rec.begin_iteration();
      group.set_phase(phase_name(spec.phase));
      rec.begin(spec.phase);
      for (int k = 0; k < (way == suite ? spec.launches : 1); ++k) call.run(suite_in_place);
      rec.end_iteration();
      return;
    }
    dev.reset_marks();
    const int a = dev.mark();
    for (int k = 0; k < spec.launches; ++k) call.run(way == in_place);
    marks[it] = {a, dev.mark()};
  }

  // Milliseconds per launch (one launch for the single way).
  double read(int it) {
    const Way way = Way(it % kWays);
    if (way == suite) return rec.phase_ms()[size_t(spec.phase)] / spec.launches;
    if (way == single) return rec.phase_ms()[size_t(spec.phase)];
    const auto m = marks.at(it);
    marks.erase(it);
    return dev.elapsed_ms(m.first, m.second) / spec.launches;
  }
};

// The interleaved loop of all four ways, isolated cadence, on every rank of the world (ranks
// in no group only take part in its agreements).
LoopSamples time_ways(Comm& world, Comm* group, Device& dev, BareCall* call, const BareSpec& spec,
                      bool suite_in_place) {
  PhaseRecorder rec(dev, true, spec.nvtx, spec.cupti);
  LoopBody body;
  body.values = 1;
  std::unique_ptr<WaysBody> ways;
  if (group) {
    ways.reset(new WaysBody{*group, dev, *call, spec, suite_in_place, rec, {}});
    body.enqueue = [&](int it, bool) { ways->enqueue(it); };
    body.read = [&](int it) { return std::vector<double>{ways->read(it)}; };
  }
  LoopOptions lo;
  lo.warmup = spec.warmup;
  lo.warmup_ms = 50;
  lo.iterations = kWays * spec.iterations;
  lo.delay_rank = spec.delay_rank;
  lo.delay_ms = spec.delay_ms;
  lo.delay_every = spec.delay_every;
  return run_timing_loop(world, dev, lo, body);
}

// Each measured sample to its way's series (measured iterations continue the warm-up's count).
void sort_into_ways(const LoopSamples& ls, BareResult& r) {
  for (size_t i = 0; i < ls.values[0].size(); ++i) {
    const int it = ls.warmup_used + int(i);
    const double t = ls.values[0][i];
    switch (Way(it % kWays)) {
      case out_of_place: r.ms.push_back(t); break;
      case in_place: r.in_place_ms.push_back(t); break;
      case suite: r.suite_ms.push_back(t); break;
      default:
        r.single_ms.push_back(t);
        r.launch_skew_ms.push_back(ls.launch_skew_ms[i]);
    }
  }
}

}  // namespace

BareResult time_bare_collective(Comm& world, Comm* group, Device& dev, const BareSpec& spec) {
  BareResult r;
  const CollRow& row = collective(spec.op);  // Error("bad_op") names the table's rows
  describe_row(row, spec, r);
  check_budget(world, group, dev, spec, row);

  // Checked in both placements before anything is timed: nccl-tests' #wrong over every rank.
  // A non-default NCCL path hands out (registered, windowed) buffers; nullptr: plain ones. The
  // provider is declared first so that it outlives the call, which releases its arena.
  std::unique_ptr<BufferProvider> provider = world.buffer_provider(spec.nccl_path);
  std::unique_ptr<BareCall> call;
  int64_t wrong = 0;
  if (group) {
    call = std::make_unique<BareCall>(row.op, *group, dev, spec.bytes, spec.dtype, provider.get());
    wrong = check_placements(*group, *call, spec, &r.first_mismatch);
  }
  for (double w : world.gather_over_ranks(double(wrong))) r.wrong += int64_t(w);
  r.ok = r.wrong == 0;
  if (!r.ok) return r;

  sort_into_ways(time_ways(world, group, dev, call.get(), spec, r.suite_in_place), r);
  return r;
}

}  // namespace bb
