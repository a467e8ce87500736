#pragma once
// A bridge collective timed alone (nccl-tests style), at the group shape and message size a
// layout produces, so the suite's own overhead on a phase is visible. Checked before timed:
// every rank's output is compared with the oracle pattern of the rank that sent each block.
#include <cstdint>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "device/device.hpp"

namespace bb {

struct BareSpec {
  std::string op;                      // "all_gather" or "all_reduce" (zero-padded, as the CP backward)
  std::vector<std::vector<int>> groups;  // world ranks; every group runs at once, as in the bridge
  int64_t bytes = 0;                   // all_gather: bytes each rank sends; all_reduce: buffer bytes
  DType dtype = DType::bf16;
  int warmup = 5, iterations = 20;
};

struct BareResult {
  bool ok = true;
  std::string first_mismatch;
  int group_size = 1;
  int64_t bytes_per_rank = 0;  // SPEC 10: received bytes
  int64_t coll_bytes = 0;      // nccl-tests size
  double bus_factor = 1;
  std::vector<double> ms;      // per iteration, max over ranks
};

// Collective over `world`; `group` is this rank's handle from world.split(spec.groups) (nullptr
// when it is in no group).
BareResult time_bare_collective(Comm& world, Comm* group, Device& dev, const BareSpec& spec);

}  // namespace bb
