#pragma once
// Subgroups created once per distinct group list and reused across configs.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "comm/comm.hpp"

namespace bb {

class CommCache {
 public:
  explicit CommCache(Comm& world) : world_(world) {}
  Comm* get(const std::vector<std::vector<int>>& groups) { return get(groups, 0); }
  // Communicators are keyed by their groups and CTA policy (NCCL's zero-CTA path needs its own).
  Comm* get(const std::vector<std::vector<int>>& groups, int cta_policy);
  Comm& world() { return world_; }

 private:
  Comm& world_;
  std::map<std::pair<std::vector<std::vector<int>>, int>, std::unique_ptr<Comm>> made_;
};

}  // namespace bb
