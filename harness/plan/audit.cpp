#include "plan/audit.hpp"

#include "core/checked.hpp"

namespace bb {

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

namespace {

void push_range(std::vector<SampleRange>& v, int64_t start, int64_t count) {
  if (count <= 0) return;
  if (!v.empty() && v.back().start + v.back().count == start) v.back().count += count;
  else v.push_back({start, count});
}

SampleRange src_range(const Plan& p, int rank, int64_t b) { return {int64_t(p.src_of(rank).dp) * b, b}; }

std::vector<int64_t> listed(const std::vector<SampleRange>& v, bool* truncated) {
  std::vector<int64_t> out;
  for (const auto& r : v)
    for (int64_t i = 0; i < r.count; ++i) {
      if (int64_t(out.size()) == kMisrouteListed) {
        *truncated = true;
        return out;
      }
      out.push_back(r.start + i);
    }
  return out;
}

}  // namespace

std::vector<SampleRange> owned_dest_ranges(const Plan& p, int rank, int64_t b) {
  const int64_t bd = dest_batch_for(p, b);
  std::vector<SampleRange> v;
  push_range(v, int64_t(p.dest_of(rank).dp) * bd, bd);
  return v;
}

std::vector<SampleRange> routed_ranges(const Plan& p, int rank, int64_t b) {
  std::vector<SampleRange> v;
  switch (p.direction) {
    case Direction::fan_in:
      for (int m : *p.gather_group_of(rank)) {
        const SampleRange r = src_range(p, m, b);
        push_range(v, r.start, r.count);
      }
      break;
    case Direction::fan_out: {
      const Slice sl = p.slice(rank, b);
      push_range(v, src_range(p, rank, b).start + sl.start, sl.size);
      break;
    }
    case Direction::equal: push_range(v, src_range(p, rank, b).start, b); break;
  }
  return v;
}

Audit audit_plan(const Plan& p, int64_t b) {
  // Every global sample id (src dp x batch, and dest dp x dest batch) must fit in int64.
  checked_mul(int64_t(p.src_dp), b, "global batch (src dp x src batch " + std::to_string(b) + ")");
  checked_mul(int64_t(p.dest_dp), dest_batch_for(p, b), "global batch (dest dp x dest batch)");
  Audit a;
  a.src_batch = b;
  for (int r = p.offset(); r < p.offset() + p.size(); ++r) {
    auto got = routed_ranges(p, r, b), own = owned_dest_ranges(p, r, b);
    if (!(got == own)) {
      ++a.misrouted_ranks;
      if (!a.first) {
        Misroute m;
        m.rank = r;
        m.receives = listed(got, &m.truncated);
        m.owns = listed(own, &m.truncated);
        a.first = m;
      }
    }
  }
  for (const auto& g : p.cp_groups) {
    const auto first = routed_ranges(p, g[0], b);
    for (int r : g)
      if (!(routed_ranges(p, r, b) == first)) a.cp_consistent = false;
  }
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
