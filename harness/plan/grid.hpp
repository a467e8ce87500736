#pragma once
// semantics §2: a named N-d grid of ranks; the first name varies fastest.
#include <map>
#include <string>
#include <vector>

namespace bb {

struct Grid {
  std::vector<std::string> dim_names;
  std::vector<int> shape;
  int offset = 0;

  int size() const;
  int dim_index(const std::string& name) const;  // -1 when absent
  int dim_size(const std::string& name) const;   // 1 when absent
  bool has(const std::string& name) const { return dim_index(name) >= 0; }
  std::vector<int> coords(int rank) const;       // per dim_names, for a rank in the grid
  int coord(int rank, const std::string& name) const;  // 0 when the dim is absent
  int rank_of(const std::vector<int>& coords) const;
  // Groups of ranks that differ only in `dims`; groups ordered by the other dims with the last
  // name slowest, ranks inside a group ordered the same way over `dims`.
  std::vector<std::vector<int>> rank_enum(const std::vector<std::string>& dims) const;
};

// Builds a grid from sizes ({"tp":2,"dp":4}) and an order (["tp","cp","pp","dp"]). Dims in the
// order without a size get 1. Rule `bad_layout` on unknown or repeated names, sizes < 1, or a
// size > 1 for a dim the order leaves out.
Grid make_grid(const std::map<std::string, int>& sizes, const std::vector<std::string>& order,
               int offset);

// The canonical order.
const std::vector<std::string>& canonical_order();

}  // namespace bb
