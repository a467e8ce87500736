#pragma once
// The order that keeps the bridge's groups inside nodes (issue 22 item 3): when a layout's
// gather or CP groups span nodes, search the dim orders of both grids (only dims of size > 1
// matter; dest keeps cp before dp, semantics §3) and, where the world leaves room, the offset,
// for one whose plan has no group crossing a node. Fewest changes from the given layout first.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/topology.hpp"
#include "plan/plan.hpp"

namespace bb {

struct LayoutSpec {
  int world = 0, offset = 0;
  std::map<std::string, int> src, dest;
  std::vector<std::string> src_order, dest_order;
};

Plan plan_of(const LayoutSpec& l);

struct Reorder {
  LayoutSpec layout;
  int changes = 0;  // dims moved plus 1 when the offset changed
  bool audit_ok = false;  // its plan delivers every rank its own replica's samples
};

// nullopt when no searched order keeps every group inside a node (e.g. a group larger than a node).
// An order whose plan delivers every rank its own replica's samples (the audit, at `src_batch`)
// is preferred to one that does not, at any number of changes.
std::optional<Reorder> find_node_local_order(const LayoutSpec& given, const Topology& t, int64_t src_batch);

std::string join_order(const std::vector<std::string>& order);

}  // namespace bb
