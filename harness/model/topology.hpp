#pragma once
// Where ranks sit and what links a group's ranks: the cost model's topology (issue 22). Pure
// logic over world ranks; knows nothing of CUDA or of the bridge.
//   nodes:  world rank r on node r / gpus_per_node (ranks placed in order); a group inside one node
//           talks over NVLink, a group spanning nodes over each GPU's NIC (the slower link bounds
//           a ring, so the whole group runs at the network's rate).
//   shared: every rank is a thread on one GPU (the emulation backend): every group and every local
//           copy shares that GPU's copy bandwidth, so a phase costs the bytes of all ranks at once.
//   socket: one process per rank on one GPU, NCCL over NET/Socket (the multi-process rehearsal):
//           every group shares the host's loopback, and local copies share the one GPU.
#include <string>
#include <vector>

namespace bb {

enum class LinkClass { nvlink, network, shared, socket };
const char* link_name(LinkClass l);
LinkClass link_named(const std::string& name);  // Error("bad_link")

enum class Medium { nodes, shared, socket };
const char* medium_name(Medium m);

struct Topology {
  Medium medium = Medium::nodes;
  int gpus_per_node = 8;

  int node_of(int world_rank) const { return medium == Medium::nodes ? world_rank / gpus_per_node : 0; }
  // All ranks of every group share one medium (bytes add up over the world).
  bool shared_medium() const { return medium != Medium::nodes; }
  // Local copies of every rank run on one GPU at once (the emulation: one process, every rank's
  // stream released by the same align). The socket rehearsal's processes each pass their own
  // align, which NCCL over sockets completes at different times on each rank, so their copies
  // (tens of microseconds) run mostly alone: priced as on a GPU of their own.
  bool shared_copies() const { return medium == Medium::shared; }
  bool crosses_nodes(const std::vector<int>& group) const;
  LinkClass link_of(const std::vector<int>& group) const;
  // Members of `group` on another node than `rank` (0 when not `nodes`).
  int off_node_peers(const std::vector<int>& group, int rank) const;
};

// "nodes" (with --gpus-per-node), "shared" or "socket"; Error("bad_topology").
Topology make_topology(const std::string& medium, int gpus_per_node);

}  // namespace bb
