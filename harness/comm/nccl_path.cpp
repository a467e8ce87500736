#include "comm/nccl_path.hpp"

#include "core/checked.hpp"

#include <algorithm>
#include <sstream>

#include "comm/backend.hpp"
#include "core/error.hpp"

namespace bb {

std::vector<NcclPath> parse_nccl_paths(const std::string& s) {
  std::vector<NcclPath> out;
  std::string names;
  for (const NcclPathRow& r : kNcclPaths) names += (names.empty() ? "" : ", ") + std::string(r.name);
  for (const auto& x : s == "all" ? std::vector<std::string>{} : split_list(s, "--nccl-path")) {
    const NcclPathRow* row = nullptr;
    for (const NcclPathRow& r : kNcclPaths)
      if (x == r.name) row = &r;
    if (!row) throw Error("bad_flag", "--nccl-path is all or a list of " + names + " (got '" + x + "')");
    if (std::find(out.begin(), out.end(), row->path) == out.end()) out.push_back(row->path);
  }
  if (s == "all")
    for (const NcclPathRow& r : kNcclPaths) out.push_back(r.path);
  if (out.empty()) throw Error("bad_flag", "--nccl-path needs at least one path");
  return out;
}

static std::string version_str(int v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

void check_nccl_version(const std::string& what, int min, int version) {
  if (version >= 0 && version < min)
    throw Error("nccl_too_old", what + " needs NCCL >= " + version_str(min) + ", this process runs NCCL " +
                                    version_str(version));
}

void check_nccl_path(NcclPath p, const std::string& backend, int nccl_version) {
  check_nccl_path(nccl_path_row(p), backend, nccl_version);
}

void check_nccl_path(const NcclPathRow& row, const std::string& backend, int nccl_version) {
  const std::string flag = std::string("--nccl-path=") + row.name;
  if (row.needs_nccl_communicators() && !backend_traits(backend).nccl_communicators)
    throw Error("bad_flag", flag + " needs the nccl backend; the " + backend +
                                " backend has no NCCL communicators to register buffers on");
  check_nccl_version(flag, row.min_nccl_version, nccl_version);
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
    u.used = nccl_path_name(NcclPath::zero_cta);
  } else if (a.symmetric_kernels > 0) {
    u.used = nccl_path_name(NcclPath::symmetric);
  } else if (a.nccl_kernels > 0 && registered) {
    u.used = nccl_path_name(NcclPath::registered);
  } else if (a.nccl_kernels > 0) {
    u.used = nccl_path_name(NcclPath::default_path);
  } else {
    u.used = "unknown";  // only the suite's own kernels, or local copies: not an NCCL path
  }
  (void)requested;
  return u;
}

}  // namespace bb
