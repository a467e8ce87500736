#include "plan/layout_arg.hpp"

#include <sstream>

#include "core/checked.hpp"

namespace bb {

static std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

std::map<std::string, int> parse_sizes(const std::string& s) {
  std::map<std::string, int> m;
  if (s.empty()) throw Error("bad_flag", "empty layout (expected e.g. tp=2,dp=4)");
  for (const auto& kv : split(s, ',')) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size())
      throw Error("bad_flag", "'" + kv + "' in layout '" + s + "' is not name=size");
    std::string name = kv.substr(0, eq), val = kv.substr(eq + 1);
    // Range-checked: "tp=4294967298" is too_large, never a wrapped tp=2.
    const int v = int(parse_int64(val, std::numeric_limits<int>::min(), kMaxRanks, "size of '" + name + "'"));
    if (m.count(name)) throw Error("bad_flag", "dim '" + name + "' given twice in '" + s + "'");
    m[name] = v;
  }
  return m;
}

std::vector<std::string> parse_order(const std::string& s) {
  auto v = split(s, ',');
  if (v.empty()) throw Error("bad_flag", "empty dim order");
  for (const auto& n : v)
    if (n.empty()) throw Error("bad_flag", "empty name in dim order '" + s + "'");
  return v;
}

}  // namespace bb
