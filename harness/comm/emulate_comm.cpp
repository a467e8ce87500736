#include "comm/emulate_comm.hpp"

#include <cuda_runtime.h>

#include <chrono>
#include <functional>
#include <numeric>
#include <sstream>
#include <thread>

#include "comm/placement.hpp"
#include "comm/poll_wait.hpp"
#include "comm/rendezvous.hpp"

namespace bb {
namespace {

using Clock = std::chrono::steady_clock;

enum class Op { split, all_gather, all_reduce_sum, all_to_all, send_recv, barrier, align, max_over_ranks };

const char* op_name(Op op) {
  switch (op) {
    case Op::split: return "split";
    case Op::all_gather: return "all_gather";
    case Op::all_reduce_sum: return "all_reduce_sum";
    case Op::all_to_all: return "all_to_all";
    case Op::send_recv: return "send_recv";
    case Op::barrier: return "barrier";
    case Op::align: return "align";
    case Op::max_over_ranks: return "max_over_ranks";
  }
  return "?";
}

// A rank's two events. Shared: a peer still waiting on them after the last meeting keeps them
// alive past the owner's Comm (which may be destroyed as soon as it leaves that meeting).
struct Events {
  cudaEvent_t ready = nullptr;      // this rank's inputs are written
  cudaEvent_t read_done = nullptr;  // this rank has read every peer's inputs
  Events() {
    cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
    cudaEventCreateWithFlags(&read_done, cudaEventDisableTiming);
  }
  ~Events() {
    cudaEventDestroy(ready);
    cudaEventDestroy(read_done);
  }
};

// What a rank publishes for one collective. Peers read it between the two meetings only.
struct Post {
  Op op = Op::barrier;
  size_t a = 0, b = 0;  // op parameters that every member must agree on
  const void* send = nullptr;
  double value = 0;
  std::vector<std::pair<const void*, size_t>> box;  // send_recv: what goes to each peer
  std::shared_ptr<Events> ev;
};

class EmulateComm final : public Comm {
 public:
  EmulateComm(std::shared_ptr<Rendezvous> rv, int rank, Device& dev)
      : rv_(std::move(rv)), rank_(rank), dev_(dev), s_(static_cast<cudaStream_t>(dev.native_stream())) {
    world_ranks_ = rv_->world_ranks();
    if (!s_) throw Error("bad_device", "emulate backend needs a CUDA device (got " + dev.kind() + ")");
    post_.ev = std::make_shared<Events>();
    if (!post_.ev->ready || !post_.ev->read_done) ck(cudaGetLastError(), "cudaEventCreate");
  }

  ~EmulateComm() override {
    // Stream-ordered: safe even with copies still queued that use the scratch.
    if (scratch_) cudaFreeAsync(scratch_, s_);
  }

  std::string backend() const override { return "emulate"; }
  int rank() const override { return rank_; }
  int size() const override { return rv_->size(); }

  std::unique_ptr<Comm> split(const std::vector<std::vector<int>>& groups) override {
    validate_groups(groups, size());
    uint64_t h = 1469598103934665603ull;  // FNV-1a of the groups: members must pass the same
    for (const auto& g : groups) {
      for (int r : g) h = (h ^ uint64_t(r + 1)) * 1099511628211ull;
      h = (h ^ 0xffffull) * 1099511628211ull;
    }
    std::shared_ptr<Rendezvous> mine;
    int idx = -1;
    const int g = group_of(groups, rank_, &idx);
    collective(Op::split, size_t(h), 0, false, [&](const std::vector<const Post*>&) {
      auto& made = rv_->split_result(splits_, groups);
      if (g >= 0) mine = made[size_t(g)];
    });
    ++splits_;
    if (g < 0) return nullptr;
    auto c = std::make_unique<EmulateComm>(mine, idx, dev_);
    c->set_phase(phase());
    return c;
  }

  void all_gather(const void* send, void* recv, size_t bytes) override {
    const size_t n = size_t(size());
    char* out = static_cast<char*>(recv);
    const Placement place = all_gather_placement(send, recv, bytes, int(n), rank_);
    const bool in_place = place == Placement::in_place, staged = place == Placement::staged;
    post_.send = send;
    collective(Op::all_gather, bytes, 0, true, [&](const std::vector<const Post*>& peers) {
      if (!bytes) return;
      char* dst = staged ? scratch(n * bytes) : out;
      for (size_t k = 0; k < n; ++k)
        if (!(in_place && k == size_t(rank_))) copy(dst + k * bytes, peers[k]->send, bytes);
    }, [&] { if (staged) copy(out, scratch_, n * bytes); });
  }

  void all_reduce_sum(const void* send, void* recv, size_t count, DType t) override {
    const size_t bytes = count * dtype_size(t);
    // Summing straight into recv would clobber this rank's input (in place) while peers read it.
    const bool staged = buffer_placement(send, bytes, recv, bytes) == Placement::staged;
    post_.send = send;
    collective(Op::all_reduce_sum, count, size_t(t), true, [&](const std::vector<const Post*>& peers) {
      if (!count) return;
      std::vector<const void*> srcs;
      for (const Post* p : peers) srcs.push_back(p->send);  // rank order on every rank: same bits
      dev_.sum(staged ? scratch(bytes) : recv, srcs, int64_t(count), t);
    }, [&] { if (staged && count) copy(recv, scratch_, bytes); });
  }

  void all_to_all(const void* send, void* recv, size_t bpp) override {
    const size_t n = size_t(size());
    const bool staged = buffer_placement(send, n * bpp, recv, n * bpp) == Placement::staged;
    post_.send = send;
    collective(Op::all_to_all, bpp, 0, true, [&](const std::vector<const Post*>& peers) {
      if (!bpp) return;
      char* dst = staged ? scratch(n * bpp) : static_cast<char*>(recv);
      for (size_t k = 0; k < n; ++k)
        copy(dst + k * bpp, static_cast<const char*>(peers[k]->send) + size_t(rank_) * bpp, bpp);
    }, [&] { if (staged && bpp) copy(recv, scratch_, n * bpp); });
  }

  void send_recv(const std::vector<P2POp>& ops) override {
    post_.box.assign(size_t(size()), {nullptr, 0});
    for (const auto& op : ops) {
      if (op.peer < 0 || op.peer >= size())
        throw Error("bad_peer", "send_recv: peer " + std::to_string(op.peer) + " out of range");
      if (op.kind != P2POp::send) continue;
      if (post_.box[size_t(op.peer)].first)
        throw Error("p2p_mismatch", where() + ": two sends to peer " + std::to_string(op.peer) +
                                        " in one send_recv");
      post_.box[size_t(op.peer)] = {op.buf, op.bytes};
    }
    // Receives land after every send has been read (host semantics): stage if they overlap.
    const bool staged = send_recv_placement(ops) == Placement::staged;
    size_t stage_bytes = 0;
    for (const auto& r : ops)
      if (r.kind == P2POp::recv) stage_bytes += (r.bytes + 255) / 256 * 256;
    collective(Op::send_recv, 0, 0, true, [&](const std::vector<const Post*>& peers) {
      char* st = staged && stage_bytes ? scratch(stage_bytes) : nullptr;
      size_t off = 0;
      for (const auto& op : ops) {
        if (op.kind != P2POp::recv) continue;
        const auto& slot = peers[size_t(op.peer)]->box[size_t(rank_)];
        if (slot.first == nullptr || slot.second != op.bytes) {
          std::string msg = where() + ": rank " + std::to_string(rank_) + " expects " +
                            std::to_string(op.bytes) + " bytes from " + std::to_string(op.peer) +
                            ", which sends " + std::to_string(slot.second);
          rv_->abort_state()->abort(msg);
          throw Error("p2p_mismatch", msg);
        }
        copy(st ? st + off : op.buf, slot.first, op.bytes);
        off += (op.bytes + 255) / 256 * 256;
      }
    }, [&] {
      if (!staged) return;
      size_t off = 0;
      for (const auto& op : ops) {
        if (op.kind != P2POp::recv) continue;
        copy(op.buf, scratch_ + off, op.bytes);
        off += (op.bytes + 255) / 256 * 256;
      }
    });
  }

  // Drains this rank's stream first, like the NCCL backend's device all-reduce + sync, so timed
  // regions that follow start from idle streams.
  void barrier() override {
    synchronize();
    collective(Op::barrier, 0, 0, false, nullptr);
  }

  // Each stream waits on every peer's "ready" event: no stream passes until all reached it.
  void align() override { collective(Op::align, 0, 0, true, nullptr); }

  void synchronize() override {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(rv_->timeout_s()));
    PollWait w;
    for (;;) {
      cudaError_t q = cudaStreamQuery(s_);
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady) ck(q, "synchronize");
      auto& ab = *rv_->abort_state();
      if (ab.aborted.load()) throw CommError("aborted", where() + ": aborted because " + ab.why());
      if (Clock::now() >= deadline) {
        std::ostringstream m;
        m << where() << ": stream not done after " << rv_->timeout_s() << " s";
        ab.abort(m.str());
        throw CommError("collective_timeout", m.str());
      }
      w.pause();
    }
  }

  double max_over_ranks(double v) override {
    post_.value = v;
    double m = v;
    collective(Op::max_over_ranks, 0, 0, false, [&](const std::vector<const Post*>& peers) {
      for (const Post* p : peers) m = std::max(m, p->value);
    });
    return m;
  }

 private:
  std::string where() const {
    return "phase '" + phase() + "', group " + ranks_str(world_ranks_) + ", world rank " +
           std::to_string(world_ranks_[size_t(rank_)]);
  }

  void ck(cudaError_t e, const char* what) {
    if (e != cudaSuccess)
      throw Error("cuda_error", where() + ", " + what + ": " + cudaGetErrorString(e));
  }

  void copy(void* dst, const void* src, size_t bytes) {
    if (bytes) ck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s_), "cudaMemcpyAsync");
  }

  char* scratch(size_t bytes) {
    if (bytes > scratch_bytes_) {
      if (scratch_) ck(cudaFreeAsync(scratch_, s_), "cudaFreeAsync");
      scratch_ = nullptr;
      scratch_bytes_ = 0;
      ck(cudaMallocAsync(reinterpret_cast<void**>(&scratch_), bytes, s_), "cudaMallocAsync");
      scratch_bytes_ = bytes;
    }
    return scratch_;
  }

  void wait() { rv_->arrive_and_wait(rank_, phase()); }

  // One collective: publish, meet, (gpu: wait for peers' inputs, enqueue reads, mark them read),
  // meet again, then order this rank's later work after every peer's reads, so no rank
  // overwrites an input (in place or in a later op) that a peer still has to copy. `write`, if
  // any, runs after that point: it moves staged results over this rank's own input.
  void collective(Op op, size_t a, size_t b, bool gpu,
                  const std::function<void(const std::vector<const Post*>&)>& read,
                  const std::function<void()>& write = nullptr) {
    const size_t n = size_t(size());
    post_.op = op;
    post_.a = a;
    post_.b = b;
    if (gpu) ck(cudaEventRecord(post_.ev->ready, s_), "cudaEventRecord");
    rv_->in[size_t(rank_)] = &post_;
    wait();
    std::vector<const Post*> peers(n);
    for (size_t k = 0; k < n; ++k) peers[k] = static_cast<const Post*>(rv_->in[k]);
    for (size_t k = 0; k < n; ++k) {
      if (peers[k]->op == op && peers[k]->a == a && peers[k]->b == b) continue;
      std::ostringstream m;
      m << where() << ": world rank " << world_ranks_[size_t(rank_)] << " called " << op_name(op)
        << "(" << a << ", " << b << ") but world rank " << world_ranks_[k] << " called "
        << op_name(peers[k]->op) << "(" << peers[k]->a << ", " << peers[k]->b << ")";
      rv_->abort_state()->abort(m.str());
      throw CommError("collective_mismatch", m.str());
    }
    std::vector<std::shared_ptr<Events>> peer_ev(n);
    if (gpu)
      for (size_t k = 0; k < n; ++k) {
        peer_ev[k] = peers[k]->ev;
        if (k != size_t(rank_)) ck(cudaStreamWaitEvent(s_, peer_ev[k]->ready, 0), "cudaStreamWaitEvent");
      }
    if (read) read(peers);
    if (gpu) ck(cudaEventRecord(post_.ev->read_done, s_), "cudaEventRecord");
    wait();
    if (gpu)
      for (size_t k = 0; k < n; ++k)
        if (k != size_t(rank_)) ck(cudaStreamWaitEvent(s_, peer_ev[k]->read_done, 0), "cudaStreamWaitEvent");
    if (write) write();
  }

  std::shared_ptr<Rendezvous> rv_;
  int rank_;
  Device& dev_;
  cudaStream_t s_;
  Post post_;
  uint64_t splits_ = 0;
  char* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
};

}  // namespace

EmulateWorld::EmulateWorld(int size, double timeout_s) : abort_(std::make_shared<AbortState>()) {
  std::vector<int> ranks(static_cast<size_t>(size));
  std::iota(ranks.begin(), ranks.end(), 0);
  root_ = std::make_shared<Rendezvous>(ranks, abort_, timeout_s);
}

std::unique_ptr<Comm> EmulateWorld::comm(int rank, Device& dev) {
  return std::make_unique<EmulateComm>(root_, rank, dev);
}

}  // namespace bb
