#include "run/comm_cache.hpp"

namespace bb {

Comm* CommCache::get(const std::vector<std::vector<int>>& groups, int cta_policy) {
  const auto key = std::make_pair(groups, cta_policy);
  auto it = made_.find(key);
  if (it == made_.end())
    it = made_.emplace(key, cta_policy ? world_.split_cta(groups, cta_policy) : world_.split(groups)).first;
  return it->second.get();
}

}  // namespace bb
