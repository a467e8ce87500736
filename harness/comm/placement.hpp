#pragma once
// Where one call's output lies against its input, as the emulate backend decides it
// (comm/emulate_comm.cpp): out of place, in place (an all-gather whose input is already this
// rank's block of the output: that block is not copied), or staged (the buffers overlap
// otherwise: the result is built in a scratch buffer and copied over the output afterwards, so
// every byte is copied twice). The cost model's dry run (model/dry_run.cpp) asks the same
// functions about the strategy's own buffers, so the bytes it prices on the shared medium are the
// bytes the emulation copies.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "comm/comm.hpp"
#include "comm/rendezvous.hpp"

namespace bb {

enum class Placement { out_of_place, in_place, staged };

inline const char* placement_name(Placement p) {
  return p == Placement::in_place ? "in_place" : p == Placement::staged ? "staged" : "out_of_place";
}

// all_gather(send, recv, bytes) on rank `rank` of `n`.
inline Placement all_gather_placement(const void* send, const void* recv, size_t bytes, int n, int rank) {
  const char* out = static_cast<const char*>(recv);
  if (send == out + size_t(rank) * bytes) return Placement::in_place;
  return overlaps(send, bytes, recv, size_t(n) * bytes) ? Placement::staged : Placement::out_of_place;
}

// all_reduce and all_to_all: one input buffer, one output buffer (in place is staged too: a peer
// still reads the input while this rank writes its result).
inline Placement buffer_placement(const void* send, size_t send_bytes, const void* recv, size_t recv_bytes) {
  return overlaps(send, send_bytes, recv, recv_bytes) ? Placement::staged : Placement::out_of_place;
}

// send_recv: receives land after every send is read, so a receive that overlaps a send is staged.
inline Placement send_recv_placement(const std::vector<P2POp>& ops) {
  for (const auto& r : ops) {
    if (r.kind != P2POp::recv) continue;
    for (const auto& s : ops)
      if (s.kind == P2POp::send && overlaps(s.buf, s.bytes, r.buf, r.bytes)) return Placement::staged;
  }
  return Placement::out_of_place;
}

}  // namespace bb
