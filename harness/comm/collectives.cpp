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

void fill_block(const BareSite& s, char* at, int64_t elems, int to_world = -1) {
  s.dev.fill(at, flat(elems, s.dt), key(s.me(), to_world));
}

// Ring latency steps (the cost model's alpha term): n-1 for a ring all-gather or all-to-all,
// 2(n-1) for a ring all-reduce (reduce-scatter then all-gather), one hop for a send/recv.
int ring_hops(int n) { return n > 1 ? n - 1 : 0; }
int two_ring_hops(int n) { return 2 * ring_hops(n); }
int one_hop(int n) { return n > 1 ? 1 : 0; }

// Through one shared memory (the emulation, comm/emulate_comm.cpp: every rank's copies on one
// GPU), bytes copied per byte of link traffic. Out of place, an all-gather and an all-to-all also
// copy the rank's own block (n/(n-1)); an all-gather in place skips it (1). An all-reduce's sum
// kernel reads n inputs and writes one output, (n+1)/2 copies' worth of the message, against the
// table's 2(n-1)/n x message. A send/recv copies what it receives. Staged (the buffers overlap),
// the result is built in a scratch buffer and copied over the output: one more copy of it.
double gather_copies(int n, Placement w) {
  const double n1 = double(n - 1);
  return w == Placement::in_place ? 1.0 : w == Placement::staged ? 2.0 * n / n1 : n / n1;
}
double summed_copies(int n, Placement w) {
  const double msgs = (n + 1) / 2.0 + (w == Placement::out_of_place ? 0.0 : 1.0);  // in place is staged
  return msgs * n / (2.0 * (n - 1));
}
double exchange_copies(int n, Placement w) { return double(n) / double(n - 1) * (w == Placement::staged ? 2 : 1); }
double received_copies(int, Placement w) { return w == Placement::staged ? 2.0 : 1.0; }

CollBuffers equal_buffers(int, int64_t msg) { return {size_t(msg), size_t(msg)}; }
int64_t input_is_output(int, int64_t) { return 0; }

// all_gather: each rank's block lands at its rank's place; in place, the input is that block.
CollBuffers all_gather_buffers(int n, int64_t msg) { return {size_t(msg), size_t(msg) * size_t(n)}; }
int64_t own_block(int rank, int64_t elems) { return int64_t(rank) * elems; }
void all_gather_fill(const BareSite& s, char* in, bool) { fill_block(s, in, s.elems); }
void all_gather_run(const BareSite& s, void* in) { s.group.all_gather(in, s.recv, size_t(s.msg)); }
void all_gather_verify(const BareSite& s, const BlockCheck& check) {
  for (int k = 0; k < s.n; ++k) check(k * s.elems, s.elems, s.world[size_t(k)], -1);
}

// all_reduce: zero but this rank's block, like a CP rank's padded gradient, so the sum is every
// rank's block in its place.
void all_reduce_fill(const BareSite& s, char* in, bool in_place) {
  const int64_t block = s.elems / s.n, bytes = s.elems * int64_t(dtype_size(s.dt));
  s.dev.copy({CopySegment{s.send, nullptr, 1, bytes, 0, 0}});
  fill_block(s, s.at(s.send, s.r * block), block);
  if (in_place) s.dev.copy({CopySegment{in, s.send, 1, bytes, 0, 0}});
}
void all_reduce_run(const BareSite& s, void* in) { s.group.all_reduce_sum(in, s.recv, size_t(s.elems), s.dt); }
void all_reduce_verify(const BareSite& s, const BlockCheck& check) {
  const int64_t block = s.elems / s.n;
  for (int k = 0; k < s.n; ++k) check(k * block, block, s.world[size_t(k)], -1);
}

// all_to_all: block k is personalised for rank k.
CollBuffers all_to_all_buffers(int n, int64_t msg) { return {size_t(msg) * size_t(n), size_t(msg) * size_t(n)}; }
void all_to_all_fill(const BareSite& s, char* in, bool) {
  for (int k = 0; k < s.n; ++k) fill_block(s, s.at(in, k * s.elems), s.elems, s.world[size_t(k)]);
}
void all_to_all_run(const BareSite& s, void* in) { s.group.all_to_all(in, s.recv, size_t(s.msg)); }
void all_to_all_verify(const BareSite& s, const BlockCheck& check) {
  for (int k = 0; k < s.n; ++k) check(k * s.elems, s.elems, s.world[size_t(k)], s.me());
}

// send_recv: a ring, as nccl-tests' sendrecv: to the next rank, from the previous.
int ring_next(const BareSite& s) { return (s.r + 1) % s.n; }
int ring_prev(const BareSite& s) { return (s.r + s.n - 1) % s.n; }
void send_recv_fill(const BareSite& s, char* in, bool) { fill_block(s, in, s.elems, s.world[size_t(ring_next(s))]); }
void send_recv_run(const BareSite& s, void* in) {
  s.group.send_recv({{P2POp::send, ring_next(s), in, size_t(s.msg)}, {P2POp::recv, ring_prev(s), s.recv, size_t(s.msg)}});
}
void send_recv_verify(const BareSite& s, const BlockCheck& check) { check(0, s.elems, s.world[size_t(ring_prev(s))], s.me()); }

}  // namespace

const std::vector<CollRow>& collective_table() {
  //  op, name, bytes, bridge_in_place, nccl_tests_program, latency_hops, shared_medium_factor, buffers, in_place_input, fill, run, verify
  static const std::vector<CollRow> t{
      {CollOp::all_gather, "all_gather", all_gather_bytes, false, "all_gather", ring_hops, gather_copies, all_gather_buffers, own_block,
       all_gather_fill, all_gather_run, all_gather_verify},
      {CollOp::all_reduce, "all_reduce", all_reduce_bytes, /*the CP backward reduces in place*/ true, "all_reduce", two_ring_hops,
       summed_copies, equal_buffers, input_is_output, all_reduce_fill, all_reduce_run, all_reduce_verify},
      {CollOp::all_to_all, "all_to_all", all_to_all_bytes, false, "alltoall", ring_hops, exchange_copies, all_to_all_buffers, input_is_output,
       all_to_all_fill, all_to_all_run, all_to_all_verify},
      {CollOp::send_recv, "send_recv", send_recv_bytes, false, "sendrecv", one_hop, received_copies, equal_buffers, input_is_output,
       send_recv_fill, send_recv_run, send_recv_verify},
  };
  return t;
}

const CollRow& collective(CollOp op) {
  for (const auto& r : collective_table())
    if (r.op == op) return r;
  throw Error("bad_op", "collective op " + std::to_string(int(op)) + " has no row");
}

Placement bare_placement(const CollRow& row, int n, bool in_place) {
  if (!in_place) return Placement::out_of_place;  // the timer's send and receive buffers lie apart
  constexpr int64_t kMsg = 4096;                  // any size, in one-byte elements
  const CollBuffers b = row.buffers(n, kMsg);
  const char* recv = reinterpret_cast<const char*>(uintptr_t(1) << 20);
  const char* send = recv + row.in_place_input(0, kMsg);
  return row.op == CollOp::all_gather ? all_gather_placement(send, recv, size_t(kMsg), n, 0)
                                      : buffer_placement(send, b.send, recv, b.recv);
}

const CollRow& collective(const std::string& name) {
  return row_named(collective_table(), name, "bad_op", "collective");
}

BareCall::BareCall(CollOp op, Comm& group, Device& dev, int64_t msg_bytes, DType dtype, BufferProvider* provider)
    : row_(collective(op)), group_(group), dev_(dev), msg_(msg_bytes), dt_(dtype),
      elems_(msg_bytes / int64_t(dtype_size(dtype))) {
  const CollBuffers b = row_.buffers(group.size(), elems_ * int64_t(dtype_size(dtype)));
  recv_bytes_ = b.recv;
  if (provider) {  // equal sizes on every rank: the output sits at the same window offset
    const size_t off = size_t(window_round(int64_t(b.send)));
    provider_ = provider;
    arena_ = static_cast<char*>(provider->acquire(off + b.recv, {&group}));
    send_p_ = arena_;
    recv_p_ = arena_ + off;
  } else {
    send_ = DeviceBuffer(dev, b.send);
    recv_ = DeviceBuffer(dev, b.recv);
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

BareSite BareCall::site() const {
  return BareSite{group_, dev_, group_.size(), group_.rank(), group_.world_ranks(), msg_, elems_, dt_,
                  static_cast<char*>(send_p_), static_cast<char*>(recv_p_)};
}

void* BareCall::input(bool in_place) {
  if (!in_place) return send_p_;
  return site().at(static_cast<char*>(recv_p_), row_.in_place_input(group_.rank(), elems_));
}

void BareCall::fill(bool in_place) {
  dev_.poison(recv_p_, recv_bytes_);
  row_.fill(site(), static_cast<char*>(input(in_place)), in_place);
}

void BareCall::run(bool in_place) { row_.run(site(), input(in_place)); }

int64_t BareCall::verify(std::string* first) {
  const BareSite s = site();
  int64_t wrong = 0;
  row_.verify(s, [&](int64_t at, int64_t len, int from, int to) {
    VerifyResult v = dev_.verify(s.at(s.recv, at), flat(len, dt_), key(from, to));
    if (v.mismatches && first && first->empty())
      *first = std::string("bare ") + row_.name + ": block from world rank " + std::to_string(from) + " on world rank " +
               std::to_string(s.me()) + ": " + std::to_string(v.mismatches) + " wrong elements";
    wrong += v.mismatches;
  });
  return wrong;
}

}  // namespace bb
