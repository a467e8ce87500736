#pragma once
// Lookup by name in a table of rows that each carry a `name` (the backend table, the collective
// table): the row called `name`, or an Error(rule) that lists every row's name, so an error
// always offers exactly the table's current vocabulary.
#include <string>
#include <vector>

#include "core/error.hpp"

namespace bb {

// Error text: "unknown <what> '<name>' (expected a, b, c)".
template <class Row>
const Row& row_named(const std::vector<Row>& table, const std::string& name, const char* rule, const char* what) {
  std::string known;
  for (const Row& r : table) {
    if (name == r.name) return r;
    known += (known.empty() ? "" : ", ") + std::string(r.name);
  }
  throw Error(rule, "unknown " + std::string(what) + " '" + name + "' (expected " + known + ")");
}

}  // namespace bb
