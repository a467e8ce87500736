#include "comm/collectives.hpp"

#include <cstdio>

#include "comm/named_row.hpp"
#include "comm/nccl_path.hpp"
#include "pattern.hpp"

namespace bb {
namespace {

// nccl-tests' conventions (doc/PERFORMANCE.md there): all-gather and all-to-all move (n-1)/n of
// their size per rank, a ring all-reduce 2(n-1)/n; a send/recv moves what it receives.
CollBytes all_gather_bytes(int n, int64_t msg) { return {msg * (n - 1), msg * n, double(n - 1) / n}; }
CollBytes all_reduce_bytes(int n, int64_t msg) { return {2 * (n - 1) * msg / n, msg, 2.0 * (n - 1) / n}; }
CollBytes all_to_all_bytes(int n, int64_t msg) { return {msg * (n - 1), msg * n, double(n - 1) / n}; }
CollBytes send_recv_bytes(int n, int64_t msg) { return {n > 1 ? msg : 0, n > 1 ? msg : 0, 1.0}; }

PatternGeom flat(int64_t elems, DType t) {
  PatternGeom g{};
  g.mem = 0;
  g.dtype = int(t);
  g.b = 1;
  g.s_local = g.s_full = 1;
  g.h = elems;
  g.cp_size = 1;
  g.cp_rank = -1;
  g.salt = 0x5EED;
  return g;
}

// The pattern "sample" of a block: who sent it, and (for personalised blocks) to whom.
std::vector<int64_t> key(int from_world, int to_world = -1) {
  const int64_t k = int64_t(from_world) * 4096 + (to_world < 0 ? 0 : to_world + 1);
  return {k, k};
}

}  // namespace

const std::vector<CollRow>& collective_table() {
  static const std::vector<CollRow> t{
      {CollOp::all_gather, "all_gather", all_gather_bytes, false},
      {CollOp::all_reduce, "all_reduce", all_reduce_bytes, true},  // the CP backward reduces in place
      {CollOp::all_to_all, "all_to_all", all_to_all_bytes, false},
      {CollOp::send_recv, "send_recv", send_recv_bytes, false},
  };
  return t;
}

const CollRow& collective(CollOp op) {
  for (const auto& r : collective_table())
    if (r.op == op) return r;
  throw Error("bad_op", "collective op " + std::to_string(int(op)) + " has no row");
}

const CollRow& collective(const std::string& name) {
  return row_named(collective_table(), name, "bad_op", "collective");
}

BareCall::BareCall(CollOp op, Comm& group, Device& dev, int64_t msg_bytes, DType dtype, BufferProvider* provider)
    : op_(op), group_(group), dev_(dev), msg_(msg_bytes), dt_(dtype),
      elems_(msg_bytes / int64_t(dtype_size(dtype))) {
  const size_t m = size_t(elems_) * dtype_size(dtype), n = size_t(group.size());
  size_t sb = m, rb = m;
  switch (op) {
    case CollOp::all_gather: rb = m * n; break;
    case CollOp::all_to_all: sb = rb = m * n; break;
    default: break;
  }
  recv_bytes_ = rb;
  if (provider) {  // equal sizes on every rank: the output sits at the same window offset
    const size_t off = size_t(window_round(int64_t(sb)));
    provider_ = provider;
    arena_ = static_cast<char*>(provider->acquire(off + rb, {&group}));
    send_p_ = arena_;
    recv_p_ = arena_ + off;
  } else {
    send_ = DeviceBuffer(dev, sb);
    recv_ = DeviceBuffer(dev, rb);
    send_p_ = send_.get();
    recv_p_ = recv_.get();
  }
}

BareCall::~BareCall() {
  if (!provider_ || !arena_) return;
  try {  // deregistered, then freed; an error here must not escape a destructor
    provider_->release(arena_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bridgebench: releasing a bare collective's path buffers: %s\n", e.what());
  }
}

void BareCall::fill(bool in_place) {
  const int n = group_.size(), r = group_.rank();
  const auto& wr = group_.world_ranks();
  const int me = wr[size_t(r)];
  const size_t es = dtype_size(dt_);
  char* s = static_cast<char*>(send_p_);
  dev_.poison(recv_p_, recv_bytes_);
  char* in = static_cast<char*>(input(in_place));  // where the pattern goes
  switch (op_) {
    case CollOp::all_gather: dev_.fill(in, flat(elems_, dt_), key(me)); break;
    case CollOp::all_reduce: {  // zero but this rank's block, like a CP rank's padded gradient
      const int64_t block = elems_ / n;
      dev_.copy({CopySegment{s, nullptr, 1, elems_ * int64_t(es), 0, 0}});
      dev_.fill(s + size_t(r * block) * es, flat(block, dt_), key(me));
      if (in_place) dev_.copy({CopySegment{recv_p_, s, 1, elems_ * int64_t(es), 0, 0}});
      break;
    }
    case CollOp::all_to_all:  // block k is personalised for rank k
      for (int k = 0; k < n; ++k) dev_.fill(in + size_t(k * elems_) * es, flat(elems_, dt_), key(me, wr[size_t(k)]));
      break;
    case CollOp::send_recv: dev_.fill(in, flat(elems_, dt_), key(me, wr[size_t((r + 1) % n)])); break;
  }
}

void* BareCall::input(bool in_place) {
  if (!in_place) return send_p_;
  // all_gather: this rank's own block of the output; the others: the output itself.
  if (op_ == CollOp::all_gather)
    return static_cast<char*>(recv_p_) + size_t(group_.rank()) * size_t(elems_) * dtype_size(dt_);
  return recv_p_;
}

void BareCall::run(bool in_place) {
  const int n = group_.size(), r = group_.rank();
  void* in = input(in_place);
  switch (op_) {
    case CollOp::all_gather: group_.all_gather(in, recv_p_, size_t(msg_)); break;
    case CollOp::all_reduce: group_.all_reduce_sum(in, recv_p_, size_t(elems_), dt_); break;
    case CollOp::all_to_all: group_.all_to_all(in, recv_p_, size_t(msg_)); break;
    case CollOp::send_recv:  // a ring, as nccl-tests' sendrecv: to the next rank, from the previous
      group_.send_recv({{P2POp::send, (r + 1) % n, in, size_t(msg_)},
                        {P2POp::recv, (r + n - 1) % n, recv_p_, size_t(msg_)}});
      break;
  }
}

int64_t BareCall::verify(std::string* first) {
  const int n = group_.size(), r = group_.rank();
  const auto& wr = group_.world_ranks();
  const int me = wr[size_t(r)];
  const size_t es = dtype_size(dt_);
  char* d = static_cast<char*>(recv_p_);
  int64_t wrong = 0;
  auto check = [&](int64_t at, int64_t len, const std::vector<int64_t>& k, int from) {
    VerifyResult v = dev_.verify(d + size_t(at) * es, flat(len, dt_), k);
    if (v.mismatches && first && first->empty())
      *first = std::string("bare ") + collective(op_).name + ": block from world rank " + std::to_string(from) +
               " on world rank " + std::to_string(me) + ": " + std::to_string(v.mismatches) + " wrong elements";
    wrong += v.mismatches;
  };
  switch (op_) {
    case CollOp::all_gather:
      for (int k = 0; k < n; ++k) check(k * elems_, elems_, key(wr[size_t(k)]), wr[size_t(k)]);
      break;
    case CollOp::all_reduce: {
      const int64_t block = elems_ / n;
      for (int k = 0; k < n; ++k) check(k * block, block, key(wr[size_t(k)]), wr[size_t(k)]);
      break;
    }
    case CollOp::all_to_all:
      for (int k = 0; k < n; ++k) check(k * elems_, elems_, key(wr[size_t(k)], me), wr[size_t(k)]);
      break;
    case CollOp::send_recv: {
      const int from = wr[size_t((r + n - 1) % n)];
      check(0, elems_, key(from, me), from);
      break;
    }
  }
  return wrong;
}

}  // namespace bb
