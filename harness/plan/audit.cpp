#include "plan/audit.hpp"

#include "core/error.hpp"

namespace bb {

int64_t src_batch_for(const Plan& p, int64_t B) {
  check_batch(p, B);
  return p.direction == Direction::fan_in ? B / p.scale : B;
}

int64_t dest_batch_for(const Plan& p, int64_t b) {
  if (p.direction == Direction::fan_in) return b * p.scale;
  if (p.direction == Direction::fan_out) {
    check_batch(p, b);
    return b / p.scale;
  }
  return b;
}

int64_t unit_src_batch(const Plan& p) { return p.direction == Direction::fan_out ? p.scale : 1; }

std::vector<int64_t> src_samples(const Plan& p, int rank, int64_t b) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < b; ++i) v.push_back(int64_t(p.src_of(rank).dp) * b + i);
  return v;
}

std::vector<int64_t> owned_dest_samples(const Plan& p, int rank, int64_t b) {
  const int64_t bd = dest_batch_for(p, b);
  std::vector<int64_t> v;
  for (int64_t i = 0; i < bd; ++i) v.push_back(int64_t(p.dest_of(rank).dp) * bd + i);
  return v;
}

std::vector<int64_t> routed_samples(const Plan& p, int rank, int64_t b) {
  switch (p.direction) {
    case Direction::fan_in: {
      std::vector<int64_t> v;
      for (int m : *p.gather_group_of(rank)) {
        auto s = src_samples(p, m, b);
        v.insert(v.end(), s.begin(), s.end());
      }
      return v;
    }
    case Direction::fan_out: {
      auto s = src_samples(p, rank, b);
      Slice sl = p.slice(rank, b);
      return {s.begin() + sl.start, s.begin() + sl.start + sl.size};
    }
    case Direction::equal: return src_samples(p, rank, b);
  }
  return {};
}

Audit audit_plan(const Plan& p, int64_t b) {
  Audit a;
  a.src_batch = b;
  for (int r = p.offset(); r < p.offset() + p.size(); ++r) {
    auto got = routed_samples(p, r, b), own = owned_dest_samples(p, r, b);
    if (got != own) {
      ++a.misrouted_ranks;
      if (!a.first) a.first = Misroute{r, got, own};
    }
  }
  for (const auto& g : p.cp_groups)
    for (int r : g)
      if (routed_samples(p, r, b) != routed_samples(p, g[0], b)) a.cp_consistent = false;
  a.ok = a.misrouted_ranks == 0 && a.cp_consistent;
  if (a.ok) {
    a.summary = "every dest rank receives the samples its DP replica owns";
  } else {
    a.summary = std::to_string(a.misrouted_ranks) + " dest rank(s) receive samples of another DP replica";
    if (!a.cp_consistent) a.summary += "; CP siblings receive different samples";
  }
  return a;
}

}  // namespace bb
