#include "run/agree.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "comm/collectives.hpp"

namespace bb {

void agree_on_check(Comm& world, CheckOutcome& c) {
  const std::vector<double> mism = world.gather_over_ranks(double(c.mismatches));
  const std::vector<double> elems = world.gather_over_ranks(double(c.elements_checked));
  const std::vector<double> expect = world.gather_over_ranks(double(c.elements_expected));
  const std::vector<double> tens = world.gather_over_ranks(double(c.tensors_checked));
  c = CheckOutcome{true, 0, 0, 0, 0, {}, c.first_mismatch};
  for (size_t r = 0; r < mism.size(); ++r) {
    c.mismatches += int64_t(mism[r]);
    c.elements_checked += int64_t(elems[r]);
    c.elements_expected += int64_t(expect[r]);
    c.tensors_checked += int(tens[r]);
    if (mism[r] > 0) c.failing_ranks.push_back(int(r));
  }
  c.ok = c.failing_ranks.empty();
}

void agree_on_work(Comm& world, std::array<PhaseWork, kPhaseCount>& work) {
  static const std::vector<std::string> kinds{"", "local", "collective"};
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v{"", "copy"};  // "copy": RankBridge::local's op
    for (const auto& row : collective_table()) v.push_back(row.name);
    return v;
  }();
  auto code = [](const std::vector<std::string>& v, const std::string& x) {
    const auto it = std::find(v.begin(), v.end(), x);
    if (it == v.end()) throw Error("internal_error", "phase work: unknown name '" + x + "'");
    return double(it - v.begin());
  };
  // One agreement for every phase's seven fields (a rank that did not enter a phase sends 0s).
  constexpr size_t kFields = 7;
  std::vector<double> all;
  for (const auto& w : work) {
    const bool used = w.used;
    all.insert(all.end(), {used ? 1.0 : 0.0, used ? code(kinds, w.kind) : 0.0, used ? code(ops, w.op) : 0.0,
                           used ? double(w.group_size) : 0.0, used ? double(w.bytes) : 0.0,
                           used ? double(w.coll_bytes) : 0.0, used ? w.bus_factor : 0.0});
  }
  all = world.max_over_ranks_each(std::move(all));
  for (size_t p = 0; p < work.size(); ++p) {
    auto& w = work[p];
    const double* a = &all[p * kFields];
    w.used = a[0] > 0;
    if (!w.used) continue;
    w.kind = kinds[size_t(a[1])];
    w.op = ops[size_t(a[2])];
    w.group_size = int(a[3]);
    w.bytes = int64_t(a[4]);
    w.coll_bytes = int64_t(a[5]);
    w.bus_factor = a[6];
  }
}

}  // namespace bb
