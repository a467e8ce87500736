#pragma once
// The collective table: one row per collective the bridge's strategies use, as nccl-tests'
// testColl is. A row says how many bytes a call moves (semantics §10: bytes received per rank), its
// nccl-tests size and bus factor, and how to fill, run and verify a bare call of it over a Comm
// and a Device. RankBridge's accounting, the bare-collective timer and the results writer all
// read the same row, so a bus factor or a byte count is written once.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "comm/placement.hpp"
#include "device/device.hpp"

namespace bb {

enum class CollOp { all_gather, all_reduce, all_to_all, send_recv };
constexpr int kCollOpCount = int(CollOp::send_recv) + 1;  // every op has a row (tests/test_tables.cpp)

// What one call moves, on one rank of a group of `group_size`.
struct CollBytes {
  int64_t bytes_per_rank = 0;  // semantics §10: bytes received from other ranks (the link traffic)
  int64_t coll_bytes = 0;      // nccl-tests "size": algbw = coll_bytes / time
  double bus_factor = 1;       // busbw = algbw * bus_factor
};

// Bytes of one rank's two buffers for a bare call (the output may hold the input: in place).
struct CollBuffers {
  size_t send = 0, recv = 0;
};

// One rank's bare call as a row's functions see it: the group, the buffers, the message. The
// oracle pattern of a block is keyed by the world rank that sent it (and, for a personalised
// block, the world rank it is for), so a block from the wrong rank is caught.
struct BareSite {
  Comm& group;
  Device& dev;
  int n, r;                           // group size, this rank's rank in it
  const std::vector<int>& world;      // world rank of each group rank
  int64_t msg, elems;                 // the row's msg_bytes, and its elements of `dt`
  DType dt;
  char* send;
  char* recv;
  char* at(char* base, int64_t elem) const { return base + size_t(elem) * dtype_size(dt); }
  int me() const { return world[size_t(r)]; }
};
// A row's verify calls this once per block it expects in the output: `len` elements at element
// `at` of the output, the pattern of the block world rank `from` sent to world rank `to` (-1: a
// block for everyone).
using BlockCheck = std::function<void(int64_t at, int64_t len, int from, int to)>;

// `msg_bytes` is the per-rank message each row is sized by:
//   all_gather: bytes each rank contributes;   all_reduce: the buffer's bytes;
//   all_to_all: bytes of one block (to each peer); send_recv: bytes this rank receives from peers.
// Every field is set in every row (tests/test_tables.cpp checks it): adding a collective is
// one row here and its few functions in collectives.cpp (and its CollOp), nothing elsewhere.
struct CollRow {
  CollOp op;
  const char* name;  // "all_gather", ... (the JSON's and the bare collective's op name)
  CollBytes (*bytes)(int group_size, int64_t msg_bytes);
  bool bridge_in_place;  // the placement the bridge's strategies call it in (all_reduce: in place)
  const char* nccl_tests_program;       // nccl-tests' binary stem: all_gather_perf, alltoall_perf, ...
  int (*latency_hops)(int group_size);  // sequential link steps of the ring algorithm (the cost model's alpha term)
  // Bytes one call copies through a single shared memory (every rank on one GPU: the emulation;
  // a byte copied is read once and written once) per byte of link traffic, at group_size >= 2, for
  // the call's placement there (comm/placement.hpp; the cost model's medium_bytes_factor).
  double (*shared_medium_factor)(int group_size, Placement where);
  CollBuffers (*buffers)(int group_size, int64_t msg_bytes);
  int64_t (*in_place_input)(int rank, int64_t elems);  // in place: the input's element offset in the output
  void (*fill)(const BareSite& s, char* input, bool in_place);  // the pattern into `input` (outputs are poisoned)
  void (*run)(const BareSite& s, void* input);
  void (*verify)(const BareSite& s, const BlockCheck& check);
};

const std::vector<CollRow>& collective_table();
// The placement of a bare call of `row` on a group of n as the bare-collective timer runs it (its
// buffers and in-place input offset), in place or not: what its shared-medium bytes are priced at.
Placement bare_placement(const CollRow& row, int n, bool in_place);
const CollRow& collective(CollOp op);
const CollRow& collective(const std::string& name);  // Error("bad_op")
inline CollBytes collective_bytes(CollOp op, int group_size, int64_t msg_bytes) {
  return collective(op).bytes(group_size, msg_bytes);
}

// A bare call of one row on one rank: buffers, an oracle fill, the call, and its check, in
// either placement (nccl-tests' in place: the input is the output's own block, or the output
// itself), each done by the row's functions. Every member of `group` builds one with the same
// (op, msg_bytes, dtype).
class BareCall {
 public:
  // With a provider (a non-default NCCL path) both buffers lie in one arena of it, the output at
  // the same window offset on every rank; it must outlive the call, which releases the arena.
  BareCall(CollOp op, Comm& group, Device& dev, int64_t msg_bytes, DType dtype, BufferProvider* provider = nullptr);
  ~BareCall();
  BareCall(const BareCall&) = delete;
  BareCall& operator=(const BareCall&) = delete;
  // Inputs from the pattern, outputs poisoned (the default placement: the bridge's own).
  void fill() { fill(row_.bridge_in_place); }
  void run() { run(row_.bridge_in_place); }
  void fill(bool in_place);
  void run(bool in_place);
  // Elements wrong on this rank (0: correct); the first is described in *first.
  int64_t verify(std::string* first = nullptr);
  CollBytes bytes() const { return row_.bytes(group_.size(), msg_); }
  void* send() { return send_p_; }
  void* recv() { return recv_p_; }

 private:
  BareSite site() const;
  void* input(bool in_place);  // what the call reads
  const CollRow& row_;
  Comm& group_;
  Device& dev_;
  int64_t msg_;
  DType dt_;
  int64_t elems_;  // elements of msg_bytes
  DeviceBuffer send_, recv_;       // the default path's buffers
  BufferProvider* provider_ = nullptr;
  char* arena_ = nullptr;          // the provider's arena (send at 0, recv at a window offset)
  void* send_p_ = nullptr;
  void* recv_p_ = nullptr;
  size_t recv_bytes_ = 0;
};

}  // namespace bb
