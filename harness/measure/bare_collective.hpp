#pragma once
// A bridge collective timed alone, the nccl-tests way, at the group shape and message size a
// layout produces, so a phase can be set against what NCCL needs for the same bytes. Every group
// of the layout runs at once, as in the bridge. Checked before timed, in place and out of place:
// every rank's output is compared with the oracle pattern of the rank that sent each block, and
// the count of wrong elements is nccl-tests' #wrong.
//
// Four ways, interleaved iteration by iteration in one timing loop (so drift hits all alike),
// each iteration with the GPUs aligned first (the isolated cadence of measure/timing_loop.hpp):
//   - out of place and in place: `launches` back-to-back launches between two events, the time
//     per launch (nccl-tests' loop);
//   - through the suite: the same back-to-back launches inside the phase recorder (its marks,
//     NVTX range, CUPTI phase id, the comm's phase name), in the placement the bridge uses, so
//     the harness's own cost on a phase is the difference;
//   - one launch through the recorder, as a round trip's phase runs it: against the nccl-tests
//     time it shows the per-launch cost that back-to-back launches hide.
#include <cstdint>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "comm/nccl_path.hpp"
#include "device/device.hpp"
#include "measure/phases.hpp"

namespace bb {

struct BareSpec {
  std::string op;                      // a row of the collective table (comm/collectives.hpp)
  std::vector<std::vector<int>> groups;  // world ranks; every group runs at once, as in the bridge
  int64_t bytes = 0;                   // the row's per-rank message (CollRow: msg_bytes)
  DType dtype = DType::bf16;
  int warmup = 5, iterations = 20;     // iterations per way
  int launches = 10;                   // back-to-back launches per nccl-tests sample
  Phase phase = Phase::fwd_comm;
  bool nvtx = true;
  GpuActivity* cupti = nullptr;
  int delay_rank = -1;                 // test-only launch delay (measure/timing_loop.hpp)
  double delay_ms = 0;
  int delay_every = 1;
  NcclPath nccl_path = NcclPath::default_path;  // the group must come from a CTA-policy-keyed cache
};

struct BareResult {
  bool ok = true;
  int64_t wrong = 0;           // wrong elements over every rank, both placements (#wrong)
  std::string first_mismatch;
  int group_size = 1;
  int64_t bytes_per_rank = 0;  // semantics §10: received bytes
  int64_t coll_bytes = 0;      // nccl-tests size
  double bus_factor = 1;
  bool suite_in_place = false;     // the placement the bridge uses (CollRow::bridge_in_place)
  std::vector<double> ms;          // nccl-tests way, out of place: per sample, max over ranks
  std::vector<double> in_place_ms; // nccl-tests way, in place
  std::vector<double> suite_ms;    // the nccl-tests loop through the suite's phase recorder
  std::vector<double> single_ms;   // one launch per aligned iteration through the recorder
  std::vector<double> launch_skew_ms;  // per single-launch iteration, over the world's ranks
};

// Collective over `world`; `group` is this rank's handle from world.split(spec.groups) (nullptr
// when it is in no group). Refuses (Error out_of_memory_budget, agreed by every rank) a size
// the devices cannot hold, before allocating.
BareResult time_bare_collective(Comm& world, Comm* group, Device& dev, const BareSpec& spec);

}  // namespace bb
