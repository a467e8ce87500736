#pragma once
// SPEC section 7, last paragraph: does every dest rank receive the global samples its DP replica
// owns? For canonical orders it always does; some non-canonical orders make the plan deliver
// another replica's samples, which is self-consistent but disagrees with the data loader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace bb {

// Src batch per rank implied by a batch B on the narrowing side (SPEC 3's --batch).
int64_t src_batch_for(const Plan& p, int64_t B);
int64_t dest_batch_for(const Plan& p, int64_t src_batch);

// Global samples a src rank holds (its DP replica's) and a dest rank owns (its replica's).
std::vector<int64_t> src_samples(const Plan& p, int rank, int64_t src_batch);
std::vector<int64_t> owned_dest_samples(const Plan& p, int rank, int64_t src_batch);
// Global samples a dest rank receives from the plan's forward, in order.
std::vector<int64_t> routed_samples(const Plan& p, int rank, int64_t src_batch);

struct Misroute {
  int rank = -1;
  std::vector<int64_t> receives, owns;
};

struct Audit {
  bool ok = true;
  int64_t src_batch = 1;
  int misrouted_ranks = 0;
  std::optional<Misroute> first;
  // CP siblings must receive the same samples, or the backward CP sum mixes samples.
  bool cp_consistent = true;
  std::string summary;
};

Audit audit_plan(const Plan& p, int64_t src_batch);
// The smallest src batch the plan accepts (scale for fan-out, else 1).
int64_t unit_src_batch(const Plan& p);

}  // namespace bb
