#pragma once
// A bridge collective timed alone (nccl-tests style), at the group shape and message size a
// layout produces, so the suite's own overhead on a phase is visible. Checked before timed:
// every rank's output is compared with the oracle pattern of the rank that sent each block.
#include <cstdint>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "device/device.hpp"
#include "measure/phases.hpp"

namespace bb {

struct BareSpec {
  std::string op;                      // "all_gather" or "all_reduce" (zero-padded, as the CP backward)
  std::vector<std::vector<int>> groups;  // world ranks; every group runs at once, as in the bridge
  int64_t bytes = 0;                   // all_gather: bytes each rank sends; all_reduce: buffer bytes
  DType dtype = DType::bf16;
  int warmup = 5, iterations = 20;
  // The same collective is also timed through the suite's own path (the phase recorder with its
  // marks, NVTX ranges and CUPTI phase ids, the comm's phase name), iterations interleaved with
  // the bare ones, so the harness's overhead on a phase is measured directly.
  Phase phase = Phase::fwd_comm;
  bool nvtx = true;
  GpuActivity* cupti = nullptr;
};

struct BareResult {
  bool ok = true;
  std::string first_mismatch;
  int group_size = 1;
  int64_t bytes_per_rank = 0;  // SPEC 10: received bytes
  int64_t coll_bytes = 0;      // nccl-tests size
  double bus_factor = 1;
  std::vector<double> ms;        // alone: events around the call; per iteration, max over ranks
  std::vector<double> suite_ms;  // through the suite's phase recorder; per iteration, max over ranks
};

// Collective over `world`; `group` is this rank's handle from world.split(spec.groups) (nullptr
// when it is in no group).
BareResult time_bare_collective(Comm& world, Comm* group, Device& dev, const BareSpec& spec);

}  // namespace bb
