#pragma once
// A sweep binary's own flags, each parsed once, into the type it names (Google Benchmark's
// --benchmark_* flags pass through untouched, to benchmark::Initialize).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "comm/nccl_path.hpp"
#include "measure/phases.hpp"
#include "core/shape.hpp"
#include "measure/timing_loop.hpp"
#include "config/config_key.hpp"  // RunMode

namespace bb {

// auto: per-phase GPU time when CUPTI loads; on: required; off: never.
enum class CuptiMode { automatic, on, off };

struct BenchOptions {
  std::string backend = "auto";  // auto or a backend name (comm/backend.hpp), resolved at launch
  int world = 8;                 // a sweep file's "world" replaces it unless --world is given
  std::string layouts = "seeds";
  std::vector<std::array<int64_t, 3>> shapes;  // (b, s, h); empty: a default that suits the backend
  // The named axes' flags (config/axes.hpp: --mem, --dtypes, --strategies, --nccl-path, ...):
  // the checked value names each given flag set, by axis name. An axis not here takes its
  // flag default, or the sweep file's values (driver/request.cpp).
  std::map<std::string, std::vector<std::string>> axis_flags;
  int iterations = 20, warmup = 5;
  RunMode mode = RunMode::timed;
  Cadence cadence = Cadence::isolated;
  int delay_rank = -1;           // --inject-delay=RANK:MS (fault injection, to prove the method)
  double delay_ms = 0;
  int delay_every = 1;           // --inject-delay=RANK:MS:EVERY: only every EVERY-th iteration
  PhaseDelay phase_delay;        // --test-phase-delay=PHASE:PCT (a planted slowdown, measure/phases.hpp)
  // --inject-fault=KIND:RANK:CONFIG (test-only, to prove that real peers failing are handled):
  // at the CONFIG-th run (1-based, the progress line's count) world rank RANK throws an error
  // ("throw") or skips the config's collectives so that its peers hang ("hang", not rank 0).
  std::string fault_kind;
  int fault_rank = -1, fault_config = 0;
  CuptiMode cupti = CuptiMode::automatic;
  std::string json_out = "bridge_results.json";
  std::string gbench_out;        // Google Benchmark's --benchmark_out (it writes that file itself)
  double timeout_s = 120;
  double link_GBps = 0;  // --link-bandwidth: the collectives' link, GB/s (0: NVLink for P2P, else unknown)
  bool collectives = true;       // also time the bare collectives of each layout
  int64_t max_configs = 10000;   // a larger sweep is refused up front (too_many_configs)
  // The run's NCCL paths (comm/nccl_path.hpp): --nccl-path's until the sweep is built, then the
  // sweep's (the flag's or the sweep file's), which driver/paths.hpp checks against the backend.
  std::vector<NcclPath> nccl_paths{NcclPath::default_path};
  std::vector<Contention> contentions{Contention::none};     // --contention: gemm adds a loaded run
  std::string dump_dir;          // --dump-tensors (test-only, host backend): the checked tensors
  std::string command_line;
  std::vector<std::string> explicit_flags;  // flags given on the command line
  bool given(const std::string& f) const;
};

// The flags, then every registered strategy with what it does (what --strategies= accepts).
std::string bench_usage();

// Removes the flags it knows from argv; throws Error("bad_flag") on a bad value or combination,
// Error("too_large") on a number out of range, Error("help") for --help.
BenchOptions parse_bench_options(int* argc, char** argv);

// Refuses, before benchmark::Initialize sees it (it aborts on a bad value), a
// --benchmark_repetitions that is not an integer in 1..1000: Error("bad_flag").
void check_gbench_flags(int argc, char** argv);
// A --benchmark_filter that is not a regular expression (POSIX extended, a leading '-'
// negates, as Google Benchmark reads it) is Error("bad_flag"): Google Benchmark would only say
// that nothing matched.
void check_filter(const std::string& filter);

}  // namespace bb
