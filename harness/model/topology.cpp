#include "model/topology.hpp"

#include "core/error.hpp"

namespace bb {

const char* link_name(LinkClass l) {
  switch (l) {
    case LinkClass::nvlink: return "nvlink";
    case LinkClass::network: return "network";
    case LinkClass::shared: return "shared";
    case LinkClass::socket: return "socket";
  }
  return "?";
}

LinkClass link_named(const std::string& n) {
  for (LinkClass l : {LinkClass::nvlink, LinkClass::network, LinkClass::shared, LinkClass::socket})
    if (n == link_name(l)) return l;
  throw Error("bad_link", "unknown link class '" + n + "' (expected nvlink, network, shared or socket)");
}

const char* medium_name(Medium m) {
  switch (m) {
    case Medium::nodes: return "nodes";
    case Medium::shared: return "shared";
    case Medium::socket: return "socket";
  }
  return "?";
}

bool Topology::crosses_nodes(const std::vector<int>& g) const {
  for (int r : g)
    if (node_of(r) != node_of(g.front())) return true;
  return false;
}

LinkClass Topology::link_of(const std::vector<int>& g) const {
  switch (medium) {
    case Medium::shared: return LinkClass::shared;
    case Medium::socket: return LinkClass::socket;
    case Medium::nodes: break;
  }
  return crosses_nodes(g) ? LinkClass::network : LinkClass::nvlink;
}

int Topology::off_node_peers(const std::vector<int>& g, int rank) const {
  int n = 0;
  for (int r : g) n += node_of(r) != node_of(rank);
  return n;
}

Topology make_topology(const std::string& medium, int gpus_per_node) {
  Topology t;
  if (gpus_per_node < 1)
    throw Error("bad_topology", "--gpus-per-node is " + std::to_string(gpus_per_node) + "; it must be at least 1");
  t.gpus_per_node = gpus_per_node;
  if (medium == "nodes") t.medium = Medium::nodes;
  else if (medium == "shared") t.medium = Medium::shared;
  else if (medium == "socket") t.medium = Medium::socket;
  else throw Error("bad_topology", "medium '" + medium + "' is not nodes, shared or socket");
  return t;
}

}  // namespace bb
