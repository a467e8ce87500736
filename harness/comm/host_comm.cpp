#include "comm/host_comm.hpp"

#include <cstring>
#include <numeric>

#include "host_kernels.hpp"

namespace bb {
namespace {

class HostComm final : public Comm {
 public:
  HostComm(std::shared_ptr<Rendezvous> rv, int rank) : rv_(std::move(rv)), rank_(rank) {
    world_ranks_ = rv_->world_ranks();
  }
  std::string backend() const override { return "host"; }
  int rank() const override { return rank_; }
  int size() const override { return rv_->size(); }

  std::unique_ptr<Comm> split(const std::vector<std::vector<int>>& groups) override {
    validate_groups(groups, size());
    wait();
    auto& made = rv_->split_result(splits_++, groups);
    int idx = -1;
    int g = group_of(groups, rank_, &idx);
    wait();
    if (g < 0) return nullptr;
    auto c = std::make_unique<HostComm>(made[size_t(g)], idx);
    c->set_phase(phase());
    return c;
  }

  void all_gather(const void* send, void* recv, size_t bytes) override {
    const Timed whole(*this);
    rv_->in[size_t(rank_)] = send;
    wait();
    // Every rank reads every block before anyone may reuse its buffers.
    std::vector<char> tmp(bytes * size_t(size()));
    for (int k = 0; k < size(); ++k)
      if (bytes) std::memcpy(tmp.data() + size_t(k) * bytes, rv_->in[size_t(k)], bytes);
    wait();
    if (!tmp.empty()) std::memcpy(recv, tmp.data(), tmp.size());
  }

  void all_reduce_sum(const void* send, void* recv, size_t count, DType t) override {
    const Timed whole(*this);
    rv_->in[size_t(rank_)] = send;
    wait();
    std::vector<char> tmp(count * dtype_size(t));
    std::vector<const void*> srcs(rv_->in.begin(), rv_->in.end());
    host_sum(tmp.data(), srcs, int64_t(count), int(t));
    wait();
    if (!tmp.empty()) std::memcpy(recv, tmp.data(), tmp.size());
  }

  void all_to_all(const void* send, void* recv, size_t bpp) override {
    const Timed whole(*this);
    rv_->in[size_t(rank_)] = send;
    wait();
    std::vector<char> tmp(bpp * size_t(size()));
    for (int k = 0; k < size(); ++k)
      if (bpp)
        std::memcpy(tmp.data() + size_t(k) * bpp,
                    static_cast<const char*>(rv_->in[size_t(k)]) + size_t(rank_) * bpp, bpp);
    wait();
    if (!tmp.empty()) std::memcpy(recv, tmp.data(), tmp.size());
  }

  void send_recv(const std::vector<P2POp>& ops) override {
    const Timed whole(*this);
    // Post what this rank sends, per peer, then pull what it receives. Each rank may send at
    // most one buffer to each peer per call (as matching NCCL calls would pair them in order).
    auto& box = mailbox();
    box.assign(size_t(size()), {nullptr, 0});
    for (const auto& op : ops) {
      check_peer(op.peer);
      if (op.kind == P2POp::send) box[size_t(op.peer)] = {op.buf, op.bytes};
    }
    rv_->in[size_t(rank_)] = &box;
    wait();
    std::vector<std::pair<void*, std::vector<char>>> got;
    for (const auto& op : ops) {
      if (op.kind != P2POp::recv) continue;
      auto* peer_box = static_cast<const std::vector<std::pair<void*, size_t>>*>(rv_->in[size_t(op.peer)]);
      const auto& slot = (*peer_box)[size_t(rank_)];
      if (slot.first == nullptr || slot.second != op.bytes)
        throw Error("p2p_mismatch", "phase '" + phase() + "': rank " + std::to_string(rank_) +
                                        " expects " + std::to_string(op.bytes) + " bytes from " +
                                        std::to_string(op.peer) + ", which sends " +
                                        std::to_string(slot.second));
      const char* p = static_cast<const char*>(slot.first);
      got.emplace_back(op.buf, std::vector<char>(p, p + op.bytes));
    }
    wait();
    for (auto& g : got)
      if (!g.second.empty()) std::memcpy(g.first, g.second.data(), g.second.size());
  }

  void barrier() override { wait(); }
  void align() override { rv_->arrive_and_wait(rank_, phase(), Rendezvous::kAlignSpinUs); }
  void synchronize() override {}

  double max_over_ranks(double v) override {
    rv_->value[size_t(rank_)] = v;
    wait();
    double m = v;
    for (double x : rv_->value) m = std::max(m, x);
    wait();
    return m;
  }

 private:
  void wait() { rv_->arrive_and_wait(rank_, phase(), 200, started_); }
  // A data collective's waits count --timeout from its entry, so a collective that runs past
  // it is aborted even when every rank arrived in time (barriers and agreements do not).
  struct Timed {
    explicit Timed(HostComm& c) : c_(c) { c_.started_ = Rendezvous::Clock::now(); }
    ~Timed() { c_.started_ = {}; }
    HostComm& c_;
  };
  void check_peer(int p) const {
    if (p < 0 || p >= size()) throw Error("bad_peer", "send_recv: peer " + std::to_string(p) + " out of range");
  }
  std::vector<std::pair<void*, size_t>>& mailbox() { return box_; }

  std::shared_ptr<Rendezvous> rv_;
  int rank_;
  uint64_t splits_ = 0;
  std::vector<std::pair<void*, size_t>> box_;
  Rendezvous::Clock::time_point started_{};
};

}  // namespace

HostWorld::HostWorld(int size, double timeout_s) : abort_(std::make_shared<AbortState>()) {
  std::vector<int> ranks(static_cast<size_t>(size));
  std::iota(ranks.begin(), ranks.end(), 0);
  root_ = std::make_shared<Rendezvous>(ranks, abort_, timeout_s);
}

std::unique_ptr<Comm> HostWorld::comm(int rank) { return std::make_unique<HostComm>(root_, rank); }

}  // namespace bb
