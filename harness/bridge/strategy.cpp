#include "bridge/strategy.hpp"

#include "plan/audit.hpp"

namespace bb {

std::unique_ptr<Strategy> make_fused();

RankBridge::RankBridge(const Plan& plan, const BridgeShape& shape, Comm& world, Device& dev)
    : plan_(plan), shape_(shape), world_(world), dev_(dev), rank_(world.rank()),
      dest_batch_(dest_batch_for(plan, shape.b)) {}

TensorRef RankBridge::tensor(void* p, int64_t batch, int64_t seq, Layout l) const {
  TensorRef t;
  t.ptr = p;
  t.layout = l;
  t.b = batch;
  t.s = seq;
  t.h = shape_.h;
  t.esize = int64_t(dtype_size(shape_.dtype));
  return t;
}
TensorRef RankBridge::src_ref(void* p) const { return tensor(p, shape_.b, shape_.s, shape_.layout); }
TensorRef RankBridge::dest_ref(void* p) const { return tensor(p, dest_batch_, shape_.s, shape_.layout); }
TensorRef RankBridge::shard_ref(void* p) const {
  return tensor(p, dest_batch_, shape_.s / plan_.dest_cp, shape_.layout);
}

void RankBridge::enter(Phase p) {
  for (Comm* c : {&world_, gather_, cp_})
    if (c) c->set_phase(phase_name(p));
  if (rec_) rec_->begin(p);
}

void RankBridge::leave() {
  if (rec_) rec_->end();
}

PhaseWork& RankBridge::work() { return rec_ ? rec_->work()[size_t(rec_->current())] : scratch_; }

void RankBridge::local(const std::vector<CopySegment>& segs) {
  PhaseWork& w = work();
  w.kind = "local";
  w.op = "copy";
  w.bytes += segment_traffic_bytes(segs);
  dev_.copy(segs);
}

void RankBridge::all_gather(Comm& c, const void* send, void* recv, size_t bytes) {
  PhaseWork& w = work();
  const int n = c.size();
  w.kind = "collective";
  w.op = "all_gather";
  w.group_size = n;
  w.bytes += int64_t(bytes) * (n - 1);
  w.coll_bytes += int64_t(bytes) * n;
  w.bus_factor = double(n - 1) / n;
  c.all_gather(send, recv, bytes);
}

void RankBridge::all_reduce(Comm& c, void* buf, size_t count) {
  PhaseWork& w = work();
  const int n = c.size();
  const int64_t bytes = int64_t(count * dtype_size(shape_.dtype));
  w.kind = "collective";
  w.op = "all_reduce";
  w.group_size = n;
  w.bytes += 2 * (n - 1) * bytes / n;
  w.coll_bytes += bytes;
  w.bus_factor = 2.0 * (n - 1) / n;
  c.all_reduce_sum(buf, buf, count, shape_.dtype);
}

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> n{"reference", "fused"};
  return n;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name) {
  if (name == "reference") return make_reference();
  if (name == "fused") return make_fused();
  throw Error("bad_strategy", "unknown strategy '" + name + "' (expected reference or fused)");
}

}  // namespace bb
