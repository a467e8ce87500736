#pragma once
// NCCL's fast paths as a benchmark axis, and the evidence of which one really ran. Pure C++ (no
// NCCL, no CUDA) so that parsing, refusals and the path detector are tested in CI.
//
//   default     cudaMalloc'd buffers, communicators as NCCL makes them (kernels on SMs)
//   registered  buffers from ncclMemAlloc, each buffer set registered (ncclCommRegister) on every
//               communicator that touches it
//   symmetric   buffers from ncclMemAlloc, one NCCL_WIN_COLL_SYMMETRIC window per buffer set and
//               communicator (ncclCommWindowRegister), equal offsets on every rank
//   zero-cta    symmetric, on communicators created with CTAPolicy = NCCL_CTA_POLICY_ZERO: NCCL
//               2.28 then moves all-gather / all-to-all data with the copy engines, no SMs
// (the rows below say so in fields; this list says why).
#include <cstdint>
#include <string>
#include <vector>

namespace bb {

enum class NcclPath { default_path, registered, symmetric, zero_cta };

// How a path's buffers are made known to NCCL.
enum class NcclRegistration {
  none,        // cudaMalloc'd by the Device, never registered (the default path)
  buffers,     // ncclMemAlloc, ncclCommRegister on every communicator that touches them
  symmetric_window,  // ncclMemAlloc, one NCCL_WIN_COLL_SYMMETRIC window per buffer set and communicator
};

// One row per path, in enum order: everything the suite knows of a path is here, so adding a
// path is one row (and its enum value). Every field is set in every row (static_asserts below,
// tests/test_nccl_path.cpp).
struct NcclPathRow {
  NcclPath path;
  const char* name;          // what --nccl-path and the JSON say
  int min_nccl_version;      // NCCL_VERSION code it needs (0: any NCCL, or none)
  NcclRegistration registration;
  int cta_policy;            // ncclConfig_t.CTAPolicy of its communicators (0: NCCL's default)
  // Needs NCCL communicators (a backend whose traits have nccl_communicators) to register its
  // buffers on or to create with a CTA policy.
  constexpr bool needs_nccl_communicators() const { return registration != NcclRegistration::none || cta_policy != 0; }
};

// NCCL_CTA_POLICY_ZERO (checked against nccl.h in nccl_comm.cpp): NCCL 2.28 then moves
// all-gather / all-to-all data with the copy engines, no SMs.
constexpr int kCtaPolicyZero = 2;

inline constexpr NcclPathRow kNcclPaths[] = {
    {NcclPath::default_path, "default", 0, NcclRegistration::none, 0},
    {NcclPath::registered, "registered", 21901, NcclRegistration::buffers, 0},  // ncclCommRegister, ncclMemAlloc (2.19.1)
    {NcclPath::symmetric, "symmetric", 22700, NcclRegistration::symmetric_window, 0},  // ncclCommWindowRegister (2.27)
    {NcclPath::zero_cta, "zero-cta", 22800, NcclRegistration::symmetric_window, kCtaPolicyZero},  // ce_coll.cc (2.28)
};
constexpr int kNcclPathCount = int(sizeof kNcclPaths / sizeof kNcclPaths[0]);

constexpr bool nccl_path_rows_in_enum_order() {
  for (int i = 0; i < kNcclPathCount; ++i)
    if (int(kNcclPaths[i].path) != i || !kNcclPaths[i].name || !kNcclPaths[i].name[0]) return false;
  return true;
}
static_assert(nccl_path_rows_in_enum_order(), "kNcclPaths: one named row per NcclPath, in enum order");
static_assert(int(NcclPath::zero_cta) + 1 == kNcclPathCount, "a NcclPath without a row");

constexpr const NcclPathRow& nccl_path_row(NcclPath p) { return kNcclPaths[int(p)]; }
inline const char* nccl_path_name(NcclPath p) { return nccl_path_row(p).name; }
inline int nccl_path_min_version(NcclPath p) { return nccl_path_row(p).min_nccl_version; }
inline int nccl_cta_policy(NcclPath p) { return nccl_path_row(p).cta_policy; }

// "all", or a comma list of names; Error("bad_flag") names the choices.
std::vector<NcclPath> parse_nccl_paths(const std::string& s);
// The one check of a path's requirements, read from its row: Error("bad_flag") naming the
// backend when it cannot have the path (its traits have no NCCL communicators: host, emulate),
// or Error("nccl_too_old") when `nccl_version` (ncclGetVersion; ignored when < 0) is older than
// the path needs.
void check_nccl_path(NcclPath p, const std::string& backend, int nccl_version = -1);
void check_nccl_path(const NcclPathRow& row, const std::string& backend, int nccl_version = -1);
// Error("nccl_too_old"): "<what> needs NCCL >= <min>, this process runs NCCL <version>" unless
// `version` < 0 (unknown) or >= `min`. The paths' and the backends' minimum versions both.
void check_nccl_version(const std::string& what, int min, int version);

// Bytes of one slot placed in a symmetric window: every slot starts at a multiple of 4096 (the
// window alignment NCCL requires, NCCL_WIN_REQUIRED_ALIGNMENT) so equal sizes give equal offsets.
constexpr int64_t kWindowAlign = 4096;
inline int64_t window_round(int64_t bytes) { return (bytes + kWindowAlign - 1) / kWindowAlign * kWindowAlign; }

// --contention=none,gemm
enum class Contention { none, gemm };
const char* contention_name(Contention c);
std::vector<Contention> parse_contentions(const std::string& s);

// One GPU activity record of a phase, as CUPTI reports it (or a test makes it up).
struct ActivityRecord {
  enum Kind { kernel, memcpy, memset } kind = kernel;
  std::string name;            // kernel name (empty for copies)
  enum CopyKind { other, dtod, ptop, htod, dtoh } copy = other;
  int64_t bytes = 0;
};

// What one phase ran, counted.
struct PhaseActivity {
  int64_t nccl_kernels = 0;    // kernels whose name says NCCL (nccl*/Nccl*)
  int64_t symmetric_kernels = 0;  // of those, NCCL's symmetric kernels (ncclSymk*)
  int64_t other_kernels = 0;   // the suite's own kernels (copies, pattern fills) and the rest
  int64_t peer_copies = 0;     // peer-to-peer memcpy records (other GPU's memory)
  int64_t device_copies = 0;   // device-to-device memcpy records on one GPU
  int64_t host_copies = 0;     // memcpy to/from the host (the harness's own scalars)
  int64_t memsets = 0;
  int64_t copy_bytes = 0;      // peer + device copy bytes
  std::vector<std::string> kernel_names;  // distinct NCCL kernel names, first seen first
  bool any() const { return nccl_kernels + other_kernels + peer_copies + device_copies + host_copies + memsets > 0; }
  void add(const ActivityRecord& r);
  void merge(const PhaseActivity& o);
};
PhaseActivity count_activity(const std::vector<ActivityRecord>& records);

// The path a collective phase really took, from its activity and what the suite set up.
struct PathUsed {
  std::string used;      // see detect_path_used
  bool sm_free = false;  // no kernel at all ran in the phase
  std::string evidence;  // the counts it is based on, in words
};
// used is one of:
//   "zero-cta"       data moved by peer/device copies, no kernel ran (NCCL's copy-engine collective)
//   "one-rank-copy"  group of one rank: NCCL's nRanks == 1 shortcut (a local memcpy or nothing),
//                    whatever path was asked for
//   "symmetric"      an NCCL symmetric kernel ran
//   "registered"     NCCL kernels on buffers the suite registered (`registered` true)
//   "default"        NCCL kernels, no registration
//   "unknown"        no activity recorded (CUPTI off, or graph mode)
// A phase that ran any kernel is never "zero-cta" nor SM-free.
PathUsed detect_path_used(NcclPath requested, const PhaseActivity& a, int group_size, bool registered,
                          bool measured);

}  // namespace bb
