#pragma once
// Which transport NCCL really used between ranks (P2P/CUMEM, P2P/IPC, SHM, NET/Socket, NET/IB),
// read from NCCL's own INIT/NET output, and what follows from it: the link class whose bandwidth
// is a collective's floor, and whether a run's ranks shared one GPU (the one-GPU multi-node
// rehearsal), in which case no time of it is a link measurement.
//
// NCCL prints one line per connection it sets up, e.g.
//   host:123:456 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/Socket/0
//   host:123:456 [1] NCCL INFO Channel 00/0 : 1[1] -> 0[0] via P2P/CUMEM/read
// Since NCCL 2.22 connections are made lazily, at a communicator's first collective, so the
// suite reads the lines after the sweep, when every communicator has run.
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "comm/launch_env.hpp"

namespace bb {

// The transports the suite recognises, in a fixed order (so ranks can agree on a set with one
// max-reduction per entry). "other" holds anything NCCL names that is not listed.
const std::vector<std::string>& transport_names();

// Connection lines per transport, from NCCL's INFO output.
std::map<std::string, int> parse_nccl_transports(std::istream& in);
// "P2P/CUMEM/read" -> "P2P/CUMEM", "NET/Socket/0" -> "NET/Socket", "SHM/direct/direct" -> "SHM".
std::string transport_key(const std::string& via);

// The link class a transport's bytes cross: nvlink (P2P between GPUs of one node; the suite's
// NVLink floor), shm (through host memory), socket, ib, net (another NET plugin), other.
std::string link_class_of(const std::string& transport);

// Two ranks on one host with one GPU (same PCI bus id): the multi-node rehearsal, or an
// oversubscribed launch. Their collectives' times are not link measurements.
bool ranks_share_a_gpu(const std::vector<RankPlace>& ranks);
// Ranks on distinct GPUs of one host: a run whose NCCL then chose NET/Socket is the classic
// misconfigured cluster (P2P and SHM disabled or not possible), worth a warning.
bool several_gpus_on_one_host(const std::vector<RankPlace>& ranks);

// Asks NCCL, through its environment and before its first call in this process, to write its
// INIT and NET lines to a file of this process (NCCL_DEBUG=INFO, NCCL_DEBUG_SUBSYS=INIT,NET,
// NCCL_DEBUG_FILE), recorded as set by the suite. A user who set NCCL_DEBUG keeps it: then the
// lines are read only from a NCCL_DEBUG_FILE without %-patterns, else the transport is not known.
void capture_nccl_transports();
// The transports this process's NCCL has reported so far; empty with `why` set when not captured.
std::map<std::string, int> captured_nccl_transports(std::string* why);

class Comm;
// Collective over `world` (every rank calls it at the same point): the transports any rank's
// NCCL reported so far, in transport_names() order. `why` is set when some rank could not tell.
std::vector<std::string> agree_transports(Comm& world, std::string* why);

struct TransportVerdict {
  std::vector<std::string> transports;  // observed anywhere in the world, transport_names() order
  std::string link_class;               // the fastest class observed (a floor must stay a lower bound)
  std::vector<std::string> warnings;
};
// What the observed transports and the launch say together.
TransportVerdict judge_transports(const std::vector<std::string>& observed, const std::vector<RankPlace>& ranks);

}  // namespace bb
