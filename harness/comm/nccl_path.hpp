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
#include <cstdint>
#include <string>
#include <vector>

namespace bb {

enum class NcclPath { default_path, registered, symmetric, zero_cta };
constexpr int kNcclPathCount = 4;

const char* nccl_path_name(NcclPath p);  // "default", "registered", "symmetric", "zero-cta"
// "all", or a comma list of names; Error("bad_flag") names the choices.
std::vector<NcclPath> parse_nccl_paths(const std::string& s);
// The NCCL version (NCCL_VERSION code, e.g. 22803) a path needs: registration 2.19.1,
// windows and CTAPolicy 2.27.0, the copy-engine collectives 2.28.0. 0 for default.
int nccl_path_min_version(NcclPath p);
// Throws Error("bad_flag") naming the backend when it cannot have the path (host, emulate: no
// NCCL communicators at all), or Error("nccl_too_old") when `nccl_version` (ncclGetVersion;
// ignored when < 0) is older than the path needs.
void check_nccl_path(NcclPath p, const std::string& backend, int nccl_version = -1);

// The ncclConfig_t.CTAPolicy a path's communicators are created with: NCCL_CTA_POLICY_ZERO (2)
// for zero-cta, NCCL's default (0) otherwise (checked against nccl.h in nccl_comm.cpp).
inline int nccl_cta_policy(NcclPath p) { return p == NcclPath::zero_cta ? 2 : 0; }

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
