#pragma once
// A Comm that forwards to another and counts, per phase name, the bytes this rank really sends
// to and receives from other ranks in each call (not what any strategy says it does): the
// independent side of the byte-model test. An all-reduce is counted as a ring (2(n-1)/n of the
// buffer each way), the algorithm semantics §10 costs it at.
#include <map>
#include <memory>
#include <string>

#include "comm/comm.hpp"

namespace bbtest {

struct Traffic {
  std::map<std::string, int64_t> received, sent;  // by phase name
  void clear() { received.clear(), sent.clear(); }
};

class CountingComm final : public bb::Comm {
 public:
  CountingComm(bb::Comm& inner, std::shared_ptr<Traffic> t, std::unique_ptr<bb::Comm> owned = nullptr)
      : inner_(inner), t_(std::move(t)), owned_(std::move(owned)) {
    world_ranks_ = inner.world_ranks();
  }
  std::string backend() const override { return inner_.backend(); }
  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  std::unique_ptr<bb::Comm> split(const std::vector<std::vector<int>>& groups) override {
    auto c = inner_.split(groups);
    if (!c) return nullptr;
    bb::Comm& ref = *c;
    return std::make_unique<CountingComm>(ref, t_, std::move(c));
  }
  void all_gather(const void* s, void* r, size_t bytes) override {
    add(int64_t(bytes) * (size() - 1), int64_t(bytes) * (size() - 1));
    inner_.all_gather(s, r, bytes);
  }
  void all_reduce_sum(const void* s, void* r, size_t count, bb::DType t) override {
    const int64_t b = int64_t(count * bb::dtype_size(t)), ring = 2 * (size() - 1) * b / size();
    add(ring, ring);
    inner_.all_reduce_sum(s, r, count, t);
  }
  void all_to_all(const void* s, void* r, size_t bpp) override {
    add(int64_t(bpp) * (size() - 1), int64_t(bpp) * (size() - 1));
    inner_.all_to_all(s, r, bpp);
  }
  void send_recv(const std::vector<bb::P2POp>& ops) override {
    int64_t in = 0, out = 0;
    for (const auto& op : ops)
      if (op.peer != rank()) (op.kind == bb::P2POp::recv ? in : out) += int64_t(op.bytes);
    add(in, out);
    inner_.send_recv(ops);
  }
  void barrier() override { inner_.barrier(); }
  void align() override { inner_.align(); }
  void synchronize() override { inner_.synchronize(); }
  double max_over_ranks(double v) override { return inner_.max_over_ranks(v); }

 private:
  void add(int64_t in, int64_t out) {
    t_->received[phase()] += in;
    t_->sent[phase()] += out;
  }
  bb::Comm& inner_;
  std::shared_ptr<Traffic> t_;
  std::unique_ptr<bb::Comm> owned_;
};

}  // namespace bbtest
