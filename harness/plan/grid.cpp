#include "plan/grid.hpp"

#include <algorithm>
#include <set>

#include "core/checked.hpp"

namespace bb {

const std::vector<std::string>& canonical_order() {
  static const std::vector<std::string> o{"tp", "cp", "pp", "dp"};
  return o;
}

int Grid::size() const {
  int n = 1;
  for (int s : shape) n *= s;
  return n;
}

int Grid::dim_index(const std::string& name) const {
  auto it = std::find(dim_names.begin(), dim_names.end(), name);
  return it == dim_names.end() ? -1 : int(it - dim_names.begin());
}

int Grid::dim_size(const std::string& name) const {
  int i = dim_index(name);
  return i < 0 ? 1 : shape[size_t(i)];
}

std::vector<int> Grid::coords(int rank) const {
  std::vector<int> c(shape.size());
  int r = rank - offset;
  for (size_t i = 0; i < shape.size(); ++i) {
    c[i] = r % shape[i];
    r /= shape[i];
  }
  return c;
}

int Grid::coord(int rank, const std::string& name) const {
  int i = dim_index(name);
  return i < 0 ? 0 : coords(rank)[size_t(i)];
}

int Grid::rank_of(const std::vector<int>& c) const {
  int r = 0;
  for (size_t i = shape.size(); i-- > 0;) r = r * shape[i] + c[i];
  return offset + r;
}

std::vector<std::vector<int>> Grid::rank_enum(const std::vector<std::string>& dims) const {
  std::vector<size_t> inner, outer;  // both in dim_names order (first = fastest)
  for (size_t i = 0; i < dim_names.size(); ++i) {
    bool in = std::find(dims.begin(), dims.end(), dim_names[i]) != dims.end();
    (in ? inner : outer).push_back(i);
  }
  auto count = [&](const std::vector<size_t>& ds) {
    int n = 1;
    for (size_t d : ds) n *= shape[d];
    return n;
  };
  // Mixed-radix counter over `ds`, first fastest, writing into c.
  auto set_index = [&](const std::vector<size_t>& ds, int k, std::vector<int>& c) {
    for (size_t d : ds) {
      c[d] = k % shape[d];
      k /= shape[d];
    }
  };
  std::vector<std::vector<int>> groups;
  std::vector<int> c(shape.size(), 0);
  for (int g = 0; g < count(outer); ++g) {
    set_index(outer, g, c);
    std::vector<int> members;
    for (int m = 0; m < count(inner); ++m) {
      set_index(inner, m, c);
      members.push_back(rank_of(c));
    }
    groups.push_back(std::move(members));
  }
  return groups;
}

Grid make_grid(const std::map<std::string, int>& sizes, const std::vector<std::string>& order,
               int offset) {
  static const std::set<std::string> known{"tp", "cp", "pp", "dp"};
  Grid g;
  g.offset = offset;
  std::set<std::string> seen;
  for (const auto& n : order) {
    if (!known.count(n))
      throw Error("bad_layout", "unknown dim '" + n + "' in order (expected tp, cp, pp, dp)");
    if (!seen.insert(n).second) throw Error("bad_layout", "dim '" + n + "' repeated in order");
    g.dim_names.push_back(n);
    auto it = sizes.find(n);
    g.shape.push_back(it == sizes.end() ? 1 : it->second);
  }
  for (const auto& [n, s] : sizes) {
    if (!known.count(n))
      throw Error("bad_layout", "unknown dim '" + n + "' (expected tp, cp, pp, dp)");
    if (s < 1) throw Error("bad_layout", "dim '" + n + "' has size " + std::to_string(s) + " < 1");
    // A tp or dp left out of the order is the plan's `missing_dim`, reported there in order.
    if (!seen.count(n) && s != 1 && n != "tp" && n != "dp")
      throw Error("bad_layout", "dim '" + n + "' has size " + std::to_string(s) +
                                    " but is not in the order");
  }
  if (offset < 0) throw Error("bad_layout", "rank offset " + std::to_string(offset) + " < 0");
  // Ranks are ints: a grid (or an offset) past kMaxRanks would wrap offset + size.
  if (offset > kMaxRanks)
    throw Error("too_large", "rank offset " + std::to_string(offset) + " is above " + std::to_string(kMaxRanks));
  int64_t n = 1;
  for (int s : g.shape) {
    n *= s;  // each s >= 1 and n <= kMaxRanks before, so this cannot overflow 64 bits
    if (n > kMaxRanks)
      throw Error("too_large", "grid of " + std::to_string(n) + "+ ranks is above " + std::to_string(kMaxRanks));
  }
  return g;
}

}  // namespace bb
