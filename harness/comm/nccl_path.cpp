#include "comm/nccl_path.hpp"

#include "core/checked.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"

namespace bb {

const char* nccl_path_name(NcclPath p) {
  switch (p) {
    case NcclPath::default_path: return "default";
    case NcclPath::registered: return "registered";
    case NcclPath::symmetric: return "symmetric";
    case NcclPath::zero_cta: return "zero-cta";
  }
  return "?";
}


std::vector<NcclPath> parse_nccl_paths(const std::string& s) {
  const std::vector<NcclPath> all{NcclPath::default_path, NcclPath::registered, NcclPath::symmetric,
                                  NcclPath::zero_cta};
  if (s == "all") return all;
  std::vector<NcclPath> out;
  for (const auto& x : split_list(s, "--nccl-path")) {
    bool found = false;
    for (NcclPath p : all)
      if (x == nccl_path_name(p)) {
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
        found = true;
      }
    if (!found) throw Error("bad_flag", "--nccl-path is all or a list of default, registered, symmetric, zero-cta (got '" + x + "')");
  }
  if (out.empty()) throw Error("bad_flag", "--nccl-path needs at least one path");
  return out;
}

int nccl_path_min_version(NcclPath p) {
  switch (p) {
    case NcclPath::default_path: return 0;
    case NcclPath::registered: return 21901;  // ncclCommRegister and ncclMemAlloc (2.19.1)
    case NcclPath::symmetric: return 22700;   // ncclCommWindowRegister, NCCL_WIN_COLL_SYMMETRIC
    case NcclPath::zero_cta: return 22800;    // src/ce_coll.cc first ships in 2.28
  }
  return 0;
}

static std::string version_str(int v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

void check_nccl_path(NcclPath p, const std::string& backend, int nccl_version) {
  if (p == NcclPath::default_path) return;
  if (backend != "nccl")
    throw Error("bad_flag", std::string("--nccl-path=") + nccl_path_name(p) + " needs the nccl backend; the " + backend +
                                " backend has no NCCL communicators to register buffers on");
  if (nccl_version >= 0 && nccl_version < nccl_path_min_version(p))
    throw Error("nccl_too_old", std::string("--nccl-path=") + nccl_path_name(p) + " needs NCCL >= " +
                                    version_str(nccl_path_min_version(p)) + ", this process runs NCCL " +
                                    version_str(nccl_version));
}

const char* contention_name(Contention c) { return c == Contention::gemm ? "gemm" : "none"; }

std::vector<Contention> parse_contentions(const std::string& s) {
  std::vector<Contention> out;
  for (const auto& x : split_list(s, "--contention")) {
    Contention c;
    if (x == "none") c = Contention::none;
    else if (x == "gemm") c = Contention::gemm;
    else throw Error("bad_flag", "--contention is a list of none, gemm (got '" + x + "')");
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  if (out.empty()) throw Error("bad_flag", "--contention needs none and/or gemm");
  return out;
}

void PhaseActivity::add(const ActivityRecord& r) {
  switch (r.kind) {
    case ActivityRecord::kernel: {
      // NCCL 2.28 names its kernels ncclDevKernel_* and, symmetric, ncclSymkDevKernel_*
      // (src/device/symmetric/generate.py kernel_cname), the one-rank reduce oneRankReduce.
      const bool symk = r.name.find("ncclSymk") != std::string::npos;
      const bool nccl = symk || r.name.find("nccl") != std::string::npos || r.name.find("Nccl") != std::string::npos ||
                        r.name.find("oneRankReduce") != std::string::npos;
      if (nccl) {
        ++nccl_kernels;
        if (symk) ++symmetric_kernels;
        if (std::find(kernel_names.begin(), kernel_names.end(), r.name) == kernel_names.end())
          kernel_names.push_back(r.name);
      } else {
        ++other_kernels;
      }
      break;
    }
    case ActivityRecord::memcpy:
      if (r.copy == ActivityRecord::ptop) ++peer_copies, copy_bytes += r.bytes;
      else if (r.copy == ActivityRecord::dtod) ++device_copies, copy_bytes += r.bytes;
      else ++host_copies;
      break;
    case ActivityRecord::memset: ++memsets; break;
  }
}

void PhaseActivity::merge(const PhaseActivity& o) {
  nccl_kernels += o.nccl_kernels;
  symmetric_kernels += o.symmetric_kernels;
  other_kernels += o.other_kernels;
  peer_copies += o.peer_copies;
  device_copies += o.device_copies;
  host_copies += o.host_copies;
  memsets += o.memsets;
  copy_bytes += o.copy_bytes;
  for (const auto& n : o.kernel_names)
    if (std::find(kernel_names.begin(), kernel_names.end(), n) == kernel_names.end()) kernel_names.push_back(n);
}

PhaseActivity count_activity(const std::vector<ActivityRecord>& records) {
  PhaseActivity a;
  for (const auto& r : records) a.add(r);
  return a;
}

PathUsed detect_path_used(NcclPath requested, const PhaseActivity& a, int group_size, bool registered, bool measured) {
  PathUsed u;
  std::ostringstream ev;
  ev << a.nccl_kernels << " NCCL kernel(s) (" << a.symmetric_kernels << " symmetric), " << a.other_kernels
     << " other kernel(s), " << a.peer_copies << " peer copy(ies), " << a.device_copies << " device copy(ies)";
  const int64_t kernels = a.nccl_kernels + a.other_kernels;
  u.sm_free = measured && a.any() && kernels == 0;
  if (!measured || !a.any()) {
    u.used = group_size == 1 && measured ? "one-rank-copy" : "unknown";
    u.evidence = measured ? "no GPU activity recorded in the phase" : "not measured (CUPTI off or graph mode)";
    if (u.used == "one-rank-copy") {
      u.sm_free = true;  // nothing ran at all: an in-place collective of one rank
      u.evidence += " (a one-rank in-place collective is a no-op in NCCL)";
    }
    return u;
  }
  u.evidence = ev.str();
  if (group_size == 1) {
    // enqueue.cc: nRanks == 1 -> ncclLaunchOneRank, a cudaMemcpyAsync whatever the buffers are.
    u.used = "one-rank-copy";
  } else if (kernels == 0 && a.peer_copies + a.device_copies > 0) {
    // ce_coll.cc moves the data with cudaMemcpy(Batch)Async between peers' windows and syncs
    // through cuStreamBatchMemOp flags: copies and no kernel at all.
    u.used = "zero-cta";
  } else if (a.symmetric_kernels > 0) {
    u.used = "symmetric";
  } else if (a.nccl_kernels > 0 && registered) {
    u.used = "registered";
  } else if (a.nccl_kernels > 0) {
    u.used = "default";
  } else {
    u.used = "unknown";  // only the suite's own kernels, or local copies: not an NCCL path
  }
  (void)requested;
  return u;
}

}  // namespace bb
