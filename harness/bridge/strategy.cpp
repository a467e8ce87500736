#include "bridge/strategy.hpp"

#include <algorithm>

#include "plan/audit.hpp"

namespace bb {

#define BB_STRATEGY(name) std::unique_ptr<Strategy> make_##name##_strategy();
#include "bridge/strategies.def"
#undef BB_STRATEGY

RankBridge::RankBridge(const Plan& plan, const BridgeShape& shape, Comm& world, Device& dev)
    : plan_(plan), shape_(shape), world_(world), dev_(dev), rank_(world.rank()),
      dest_batch_(dest_batch_for(plan, shape.b)) {}

TensorRef RankBridge::tensor(void* p, int64_t batch, int64_t seq, MemOrder l) const {
  TensorRef t;
  t.ptr = p;
  t.mem = l;
  t.b = batch;
  t.s = seq;
  t.h = shape_.h;
  t.esize = int64_t(dtype_size(shape_.dtype));
  return t;
}
TensorRef RankBridge::src_ref(void* p) const { return tensor(p, shape_.b, shape_.s, shape_.mem); }
TensorRef RankBridge::dest_ref(void* p) const { return tensor(p, dest_batch_, shape_.s, shape_.mem); }
TensorRef RankBridge::shard_ref(void* p) const {
  return tensor(p, dest_batch_, shape_.s / plan_.dest_cp, shape_.mem);
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

namespace {

// One call's bytes, from the collective table, added to the current phase.
void account(PhaseWork& w, CollOp op, int n, int64_t msg_bytes) {
  const CollBytes b = collective_bytes(op, n, msg_bytes);
  w.kind = "collective";
  w.op = collective(op).name;
  w.group_size = n;
  w.bytes += b.bytes_per_rank;
  w.coll_bytes += b.coll_bytes;
  w.bus_factor = b.bus_factor;
}

}  // namespace

void RankBridge::all_gather(Comm& c, const void* send, void* recv, size_t bytes) {
  account(work(), CollOp::all_gather, c.size(), int64_t(bytes));
  c.all_gather(send, recv, bytes);
}

void RankBridge::all_reduce(Comm& c, void* buf, size_t count) {
  account(work(), CollOp::all_reduce, c.size(), int64_t(count * dtype_size(shape_.dtype)));
  c.all_reduce_sum(buf, buf, count, shape_.dtype);
}

void RankBridge::all_to_all(Comm& c, const void* send, void* recv, size_t bytes_per_peer) {
  account(work(), CollOp::all_to_all, c.size(), int64_t(bytes_per_peer));
  c.all_to_all(send, recv, bytes_per_peer);
}

void RankBridge::send_recv(Comm& c, const std::vector<P2POp>& ops) {
  int64_t from_peers = 0;
  for (const auto& op : ops)
    if (op.kind == P2POp::recv && op.peer != c.rank()) from_peers += int64_t(op.bytes);
  account(work(), CollOp::send_recv, c.size(), from_peers);
  c.send_recv(ops);
}

ByteModel Strategy::byte_model(const Plan& p, const BridgeShape& sh, int rank) const {
  ByteModel m;
  for (const auto& u : collectives(p, sh))
    for (const auto& g : u.groups)
      if (std::find(g.begin(), g.end(), rank) != g.end()) {
        PhaseBytes& b = m[size_t(u.phase)];
        b.op = collective(u.op).name;
        b.bytes += collective_bytes(u.op, int(g.size()), u.msg_bytes).bytes_per_rank;
      }
  return m;
}

namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Strategy> (*make)();
};

const std::vector<Entry>& registry() {
#define BB_STRATEGY(name) {#name, make_##name##_strategy},
  static const std::vector<Entry> t{
#include "bridge/strategies.def"
  };
#undef BB_STRATEGY
  return t;
}

}  // namespace

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (const auto& e : registry()) v.push_back(e.name);
    return v;
  }();
  return n;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name) {
  std::string known;
  for (const auto& e : registry()) {
    if (name == e.name) return e.make();
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  }
  throw Error("bad_strategy", "unknown strategy '" + name + "' (expected one of " + known + ")");
}

std::vector<std::string> expand_strategies(const std::vector<std::string>& names, const std::string& where) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (n == "all") {
      out.insert(out.end(), strategy_names().begin(), strategy_names().end());
      continue;
    }
    try {
      make_strategy(n);
    } catch (const Error& e) {
      throw Error(e.rule(), where + ": " + e.what() + " or all");
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace bb
