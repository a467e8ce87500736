#pragma once
// Floors: the least time a phase or a round trip can take on this machine, so that
// floor_ratio = floor / measured is at most 1 (plus noise). They are derived from what the
// ranks really share:
//  - nccl: a collective's bytes over one GPU's NVLink bandwidth, a local copy over its memory.
//  - host / emulate: every rank is a thread of one process on one memory (host RAM, or one GPU).
//    A phase is timed per rank, and nothing makes the ranks' phases overlap (threads may run one
//    after the other on few cores), so a phase's floor is its bytes at the copy bandwidth of one
//    rank alone, at its best (cache-resident sizes included). A round trip is timed from a
//    common barrier to the last rank's end, so it also covers all members' bytes at the
//    bandwidth of all ranks copying at once: the round trip's floor is the larger of the two.
#include <string>

namespace bb {

constexpr double kNvlinkGBps = 450.0;  // NVLink 4, per direction per GPU (semantics §10)

struct Floors {
  double copy_GBps = 0;         // one rank alone, its best copy bandwidth (read + written bytes)
  double shared_copy_GBps = 0;  // every rank of the world copying at once (0: not shared)
  double link_GBps = kNvlinkGBps;
  bool collectives_over_links = true;  // false in host/emulation: collectives are memory copies
  int ranks_per_memory = 1;  // kept for the bare-collective floor: 1, a per-rank floor
  // The link class NCCL really used (comm/nccl_transport.hpp), and why collectives have no floor
  // when they have none: ranks sharing one GPU (the rehearsal), or a link of unknown bandwidth.
  std::string link_class = "nvlink";
  std::string no_link_floor;
};

// The floors of a backend: host bandwidths measured here (threads as the world would run);
// GPU backends fill copy_GBps (and, for emulate, shared_copy_GBps) from the device.
Floors floors_for(const std::string& backend, int world);

// Best single-thread memcpy bandwidth over sizes from L2-resident to DRAM (read + written bytes).
double host_peak_copy_GBps();
// Best total memcpy bandwidth of `threads` threads copying their own buffers at once.
double host_shared_copy_GBps(int threads);

}  // namespace bb
