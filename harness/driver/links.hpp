#pragma once
// The links a run really used: the transport NCCL chose (read from its own INIT/NET lines),
// whether ranks shared one GPU (the one-GPU multi-node rehearsal), and the floors that follow.
// Learned collectively twice: at the start, on the world communicator's first collective, so
// floors come from the link class used before any config is timed; and after the sweep, when
// every communicator has made its connections, for the record.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "comm/comm.hpp"
#include "comm/nccl_transport.hpp"
#include "results/floors.hpp"

namespace bb {

struct RunLinks {
  bool learned = false;
  bool shared_gpu = false;
  std::vector<std::string> at_start, observed;  // transports, comm/nccl_transport.hpp names
  std::string not_captured;                     // why the transport is not known, when it is not
  TransportVerdict verdict;
  nlohmann::ordered_json to_json() const;
};

// Every rank calls it at the same point (it is collective over `world`); rank 0 keeps the
// result in `links` and, at the start, sets the collective floors' link class in `floors`:
// none for ranks sharing a GPU, the link's bandwidth (`link_GBps` > 0 from the user, else NVLink's
// for P2P) or none where it is not known.
void learn_links(Comm& world, bool at_start, double link_GBps, RunLinks& links, Floors& floors);

}  // namespace bb
