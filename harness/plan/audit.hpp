#pragma once
// semantics §7, last paragraph: does every dest rank receive the global samples its DP replica
// owns? For canonical orders it always does; some non-canonical orders make the plan deliver
// another replica's samples, which is self-consistent but disagrees with the data loader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace bb {


// Global samples a src rank holds (its DP replica's) and a dest rank owns (its replica's).
// These list every sample (O(batch)): the oracle's tables need them; the audit does not.
std::vector<int64_t> src_samples(const Plan& p, int rank, int64_t src_batch);
std::vector<int64_t> owned_dest_samples(const Plan& p, int rank, int64_t src_batch);
// Global samples a dest rank receives from the plan's forward, in order.
std::vector<int64_t> routed_samples(const Plan& p, int rank, int64_t src_batch);

// A run of global sample ids [start, start + count).
struct SampleRange {
  int64_t start = 0, count = 0;
  bool operator==(const SampleRange& o) const { return start == o.start && count == o.count; }
};
// The same samples as routed_samples / owned_dest_samples, as merged ranges: O(ranks), not
// O(batch), so a plan for any batch that fits 64 bits costs what its ranks cost.
std::vector<SampleRange> routed_ranges(const Plan& p, int rank, int64_t src_batch);
std::vector<SampleRange> owned_dest_ranges(const Plan& p, int rank, int64_t src_batch);

struct Misroute {
  int rank = -1;
  // The first kMisrouteListed sample ids of each side (truncated says whether there are more).
  std::vector<int64_t> receives, owns;
  bool truncated = false;
};
constexpr int64_t kMisrouteListed = 1024;

struct Audit {
  bool ok = true;
  int64_t src_batch = 1;
  int misrouted_ranks = 0;
  std::optional<Misroute> first;
  // CP siblings must receive the same samples, or the backward CP sum mixes samples.
  bool cp_consistent = true;
  std::string summary;
};

// Error("too_large") when the global sample ids of this batch do not fit in 64 bits.
Audit audit_plan(const Plan& p, int64_t src_batch);

}  // namespace bb
