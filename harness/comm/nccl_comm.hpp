#pragma once
// The NCCL backend: one rank per GPU, collectives on the rank Device's stream. Communicators are
// non-blocking so that every wait is a poll with a deadline: a collective that never completes
// (a peer skipped it, a peer died) is aborted and becomes a CommError, never a hang.
// Built only with CUDA (harness/comm/gpu.cmake).
#include <memory>

#include <nccl.h>

#include "comm/comm.hpp"
#include "comm/rendezvous.hpp"
#include "device/device.hpp"

namespace bb {

// Creates this rank's world communicator (non-blocking ncclCommInitRankConfig) and waits for it,
// up to timeout_s, giving up early when `world_abort` is raised by a failing peer thread.
// `dev` must be a CUDA device on the GPU current to the calling thread and outlive the Comm and
// every Comm split from it. Every later wait of this rank (synchronize, enqueue, split, teardown)
// has the same deadline; on timeout or NCCL error all communicators of the rank are aborted.
std::unique_ptr<Comm> make_nccl_world_comm(const ncclUniqueId& id, int size, int rank, Device& dev,
                                           std::shared_ptr<AbortState> world_abort,
                                           double timeout_s);

// The NCCL this process runs (ncclGetVersion), e.g. 22803.
int nccl_runtime_version();

// Every registration call the suite made (ncclCommRegister, ncclCommWindowRegister) and undid
// (ncclCommDeregister, ncclCommWindowDeregister), process-wide: `live` must return to zero once
// every round trip is gone.
struct NcclRegistrationCounts {
  int64_t registers = 0, deregisters = 0, windows = 0, window_deregisters = 0, mem_allocs = 0, mem_frees = 0;
  int64_t live() const { return registers + windows - deregisters - window_deregisters; }
};
NcclRegistrationCounts nccl_registration_counts();

}  // namespace bb
