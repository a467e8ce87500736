#include "model/reorder.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "model/predict.hpp"
#include "plan/audit.hpp"

namespace bb {

Plan plan_of(const LayoutSpec& l) {
  return make_plan(l.world, make_grid(l.src, l.src_order, l.offset), make_grid(l.dest, l.dest_order, l.offset));
}

std::string join_order(const std::vector<std::string>& order) {
  std::string s;
  for (const auto& d : order) s += (s.empty() ? "" : ",") + d;
  return s;
}

namespace {

// The orders of `given`'s names that differ in where the dims of size > 1 sit relative to each
// other; dims of size 1 keep their slots. The given order first.
std::vector<std::vector<std::string>> orders(const std::vector<std::string>& given, const std::map<std::string, int>& sizes) {
  std::vector<size_t> slots;
  std::vector<std::string> big;
  for (size_t i = 0; i < given.size(); ++i)
    if (sizes.count(given[i]) && sizes.at(given[i]) > 1) slots.push_back(i), big.push_back(given[i]);
  std::vector<std::vector<std::string>> out{given};
  std::sort(big.begin(), big.end());
  do {
    std::vector<std::string> o = given;
    for (size_t k = 0; k < slots.size(); ++k) o[slots[k]] = big[k];
    if (o != given) out.push_back(o);
  } while (std::next_permutation(big.begin(), big.end()));
  return out;
}

int moved(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

}  // namespace

std::optional<Reorder> find_node_local_order(const LayoutSpec& given, const Topology& t, int64_t src_batch) {
  if (t.medium != Medium::nodes) return std::nullopt;
  std::vector<Reorder> cands;
  const int size = plan_of(given).size();
  std::vector<int> offsets{given.offset};
  for (int o = 0; o < t.gpus_per_node && o + size <= given.world; ++o)
    if (o != given.offset) offsets.push_back(o);
  for (const auto& so : orders(given.src_order, given.src))
    for (const auto& dso : orders(given.dest_order, given.dest))
      for (int off : offsets) {
        Reorder r{given, moved(so, given.src_order) + moved(dso, given.dest_order) + (off != given.offset), false};
        r.layout.src_order = so;
        r.layout.dest_order = dso;
        r.layout.offset = off;
        if (r.changes) cands.push_back(r);
      }
  std::stable_sort(cands.begin(), cands.end(), [](const Reorder& a, const Reorder& b) { return a.changes < b.changes; });
  std::optional<Reorder> misrouting;
  for (auto& c : cands) {
    try {
      const Plan p = plan_of(c.layout);
      if (groups_crossing(p, t) != 0) continue;
      c.audit_ok = audit_plan(p, src_batch).ok;
      if (c.audit_ok) return c;
      if (!misrouting) misrouting = c;
    } catch (const Error&) {  // e.g. cp after dp: not a valid layout, not a candidate
    }
  }
  return misrouting;
}

}  // namespace bb
