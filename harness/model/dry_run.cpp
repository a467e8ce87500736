#include "model/dry_run.hpp"

#include <algorithm>
#include <numeric>

#include "run/buffer_layout.hpp"
#include "segments.hpp"

namespace bb {
namespace {

// Addresses without memory: each allocation a fresh, aligned range of a counter, so the copy
// lists the strategy builds (and which runs are contiguous) are exactly those of a real run.
class DryDevice final : public Device {
 public:
  std::string kind() const override { return "dry"; }
  void* alloc(size_t bytes) override {
    const uintptr_t at = next_;
    next_ += (bytes + 4095) / 4096 * 4096 + 4096;
    return reinterpret_cast<void*>(at);
  }
  void release(void*) override {}
  void copy(const std::vector<CopySegment>& segs) override {
    if (!rec_) return;
    ++launches_[size_t(rec_->current())];
    steps_->push_back({rec_->current(), false, segment_traffic_bytes(segs)});
  }
  void fill(void*, const PatternGeom&, const std::vector<int64_t>&) override {}
  void poison(void*, size_t) override {}
  VerifyResult verify(const void*, const PatternGeom&, const std::vector<int64_t>&) override { return {}; }
  void sum(void*, const std::vector<const void*>&, int64_t, DType) override {}
  int mark() override { return 0; }
  double elapsed_ms(int, int) override { return 0; }
  void reset_marks() override {}
  void wait_us(double) override {}  // a dry run has no time
  void synchronize() override {}
  void* native_stream() override { return nullptr; }

  PhaseRecorder* rec_ = nullptr;
  std::vector<DryStep>* steps_ = nullptr;
  std::array<int, kPhaseCount> launches_{};

 private:
  uintptr_t next_ = uintptr_t(1) << 40;
};

// Every call is a step of the timeline (its phase the recorder's current one).
class DryComm final : public Comm {
 public:
  DryComm(std::vector<int> members, int world_rank, const DryDevice& dev) : dev_(dev) {
    world_ranks_ = std::move(members);
    rank_ = int(std::find(world_ranks_.begin(), world_ranks_.end(), world_rank) - world_ranks_.begin());
  }
  std::string backend() const override { return "host"; }
  int rank() const override { return rank_; }
  int size() const override { return int(world_ranks_.size()); }
  std::unique_ptr<Comm> split(const std::vector<std::vector<int>>&) override { return nullptr; }
  void all_gather(const void* send, void* recv, size_t bytes) override {
    call(CollOp::all_gather, all_gather_placement(send, recv, bytes, size(), rank_));
  }
  void all_reduce_sum(const void* send, void* recv, size_t count, DType t) override {
    const size_t bytes = count * dtype_size(t);
    call(CollOp::all_reduce, buffer_placement(send, bytes, recv, bytes));
  }
  void all_to_all(const void* send, void* recv, size_t bpp) override {
    const size_t all = size_t(size()) * bpp;
    call(CollOp::all_to_all, buffer_placement(send, all, recv, all));
  }
  void send_recv(const std::vector<P2POp>& ops) override { call(CollOp::send_recv, send_recv_placement(ops)); }
  void barrier() override { step(); }
  void align() override { step(); }
  void synchronize() override {}
  double max_over_ranks(double v) override { return v; }

 private:
  void step() {
    if (dev_.rec_) dev_.steps_->push_back({dev_.rec_->current(), true, 0});
  }
  void call(CollOp op, Placement where) {
    if (dev_.rec_) dev_.steps_->push_back({dev_.rec_->current(), true, 0, true, op, where});
  }
  const DryDevice& dev_;
  int rank_ = 0;
};

std::unique_ptr<DryComm> comm_of(const std::vector<std::vector<int>>& groups, int rank, const DryDevice& dev) {
  for (const auto& g : groups)
    if (std::find(g.begin(), g.end(), rank) != g.end()) return std::make_unique<DryComm>(g, rank, dev);
  return nullptr;
}

}  // namespace

DryRun dry_run_steps(const Strategy& s, const Plan& p, const BridgeShape& sh, int rank) {
  DryRun out;
  DryDevice dev;
  dev.steps_ = &out.steps;
  std::vector<int> everyone(size_t(p.world));
  std::iota(everyone.begin(), everyone.end(), 0);
  DryComm world(everyone, rank, dev);
  RankBridge rb(p, sh, world, dev);
  auto gather = comm_of(s.gather_groups(p), rank, dev);
  auto cp = comm_of(p.cp_groups, rank, dev);
  rb.set_comms(gather.get(), cp.get());
  PhaseRecorder rec(dev, false, false, nullptr);
  dev.rec_ = &rec;
  rb.set_recorder(&rec);
  rb.sets() = {make_buffer_set(s, rb, [&](int64_t bytes) { return dev.alloc(size_t(bytes)); })};
  rb.use_set(0);
  s.forward(rb);
  s.backward(rb);
  for (int k = 0; k < kPhaseCount; ++k) {
    const PhaseWork& w = rec.work()[size_t(k)];
    if (w.used && w.kind == "local") out.local[size_t(k)] = {w.bytes, dev.launches_[size_t(k)]};
  }
  return out;
}

LocalWorks dry_run(const Strategy& s, const Plan& p, const BridgeShape& sh, int rank) {
  return dry_run_steps(s, p, sh, rank).local;
}

}  // namespace bb
