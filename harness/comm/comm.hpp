#pragma once
// The collectives the bridge and its alternative strategies need, behind one interface.
// A Comm is one rank's handle on a group (like an ncclComm_t). Operations are ordered on the
// rank's Device stream for GPU backends and complete before returning on the host backend.
// Buffers are that rank's Device memory. A backend never knows what the bytes mean.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/backend.hpp"
#include "comm/nccl_path.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"

namespace bb {

class Comm;

// Memory for the buffer sets of one NCCL path (comm/nccl_path.hpp), handed out by the backend
// so that the round trip never knows NCCL: acquire() allocates one arena and registers it on
// every communicator listed (collective over each one's members: every member calls it in the
// same order with the same bytes); release() deregisters it everywhere, then frees it.
class BufferProvider {
 public:
  virtual ~BufferProvider() = default;
  virtual void* acquire(size_t bytes, const std::vector<Comm*>& comms) = 0;
  virtual void release(void* base) = 0;
  virtual NcclPath path() const = 0;
  virtual bool registers() const = 0;  // registered (or window-registered) buffers
};

struct P2POp {
  enum Kind { send, recv } kind;
  int peer;  // rank in this Comm
  void* buf;
  size_t bytes;
};

class Comm {
 public:
  virtual ~Comm() = default;
  virtual std::string backend() const = 0;  // "host", "nccl", "emulate"
  // What the backend is (comm/backend.hpp): ask this, not the name.
  const BackendTraits& traits() const { return backend_traits(backend()); }
  virtual int rank() const = 0;             // rank inside this communicator
  virtual int size() const = 0;

  // Collective over this Comm: every member passes the same disjoint groups (lists of ranks of
  // this Comm). Returns the handle of the group holding this rank, ordered as listed (the list
  // order is the all-gather's concatenation order), or nullptr if no group holds it.
  virtual std::unique_ptr<Comm> split(const std::vector<std::vector<int>>& groups) = 0;
  // split() with a CTA policy for the new communicators (NCCL's ncclConfig_t.CTAPolicy; 0 is
  // NCCL's default). Backends without NCCL refuse any other policy.
  virtual std::unique_ptr<Comm> split_cta(const std::vector<std::vector<int>>& groups, int cta_policy) {
    if (cta_policy != 0) throw Error("bad_flag", "the " + backend() + " backend has no CTA policies");
    return split(groups);
  }
  // The allocator of a path's buffers; nullptr for a path that registers nothing (the Device
  // allocates). Refuses a path this backend cannot have, or that the NCCL it runs is too old
  // for: check_nccl_path reads both rows (comm/nccl_path.hpp, comm/backend.hpp).
  std::unique_ptr<BufferProvider> buffer_provider(NcclPath p) {
    check_nccl_path(p, backend(), traits().running_nccl_version());
    const NcclPathRow& row = nccl_path_row(p);
    return row.registration == NcclRegistration::none ? nullptr : make_buffer_provider(row);
  }

  // recv holds size() blocks of `bytes`, rank-major. send may alias recv's own block.
  virtual void all_gather(const void* send, void* recv, size_t bytes) = 0;
  virtual void all_reduce_sum(const void* send, void* recv, size_t count, DType t) = 0;
  // send/recv hold size() blocks of bytes_per_peer, block k to/from rank k.
  virtual void all_to_all(const void* send, void* recv, size_t bytes_per_peer) = 0;
  // A grouped set of sends and receives that progress together.
  virtual void send_recv(const std::vector<P2POp>& ops) = 0;
  // Host-side rendezvous of all members (not stream-ordered; used between timed regions).
  virtual void barrier() = 0;
  // Stream-ordered barrier of the members' devices: work queued after it starts on any member
  // only once every member's stream reached it. The host never waits here (GPU backends), so it
  // can sit behind a closed launch gate. Host backend: a host rendezvous.
  virtual void align() = 0;
  // Waits until this rank's queued work (its stream: kernels and collectives) is done. A
  // collective that does not finish within the backend's timeout is aborted and turned into a
  // CommError naming the phase and the group: never a hang. No-op on the host backend.
  virtual void synchronize() = 0;
  // Host agreement: every member gets the max / logical-or of a value. Used to agree on
  // iteration counts and on whether any rank failed its check.
  virtual double max_over_ranks(double v) = 0;
  // The max of each of many values, in one agreement where the backend has one (NCCL: one
  // all-reduce): a loop agreeing on every sample of a config pays one network round trip, not
  // one per number (at 8 processes over sockets that was seconds per config).
  virtual std::vector<double> max_over_ranks_each(std::vector<double> v) {
    for (auto& x : v) x = max_over_ranks(x);
    return v;
  }
  // Every member's value, by rank (size() agreements: for per-config summaries, not hot paths).
  std::vector<double> gather_over_ranks(double v) {
    std::vector<double> out(static_cast<size_t>(size()));
    for (int r = 0; r < size(); ++r) out[size_t(r)] = max_over_ranks(r == rank() ? v : -1e300);
    return out;
  }

  // Names the phase that the next operations belong to, for timeout and abort messages.
  void set_phase(std::string phase) { phase_ = std::move(phase); }
  const std::string& phase() const { return phase_; }
  // Rank lists of this group in world ranks, for messages.
  const std::vector<int>& world_ranks() const { return world_ranks_; }

 protected:
  // The provider of a path that registers its buffers (a backend with NCCL communicators
  // overrides it; check_nccl_path has refused the path on every other backend already).
  virtual std::unique_ptr<BufferProvider> make_buffer_provider(const NcclPathRow& path) {
    throw Error("bad_flag", "the " + backend() + " backend cannot register buffers for --nccl-path=" + path.name);
  }
  std::string phase_ = "setup";
  std::vector<int> world_ranks_;
};

}  // namespace bb
