#pragma once
// bridge_bench's own flags (Google Benchmark's --benchmark_* flags pass through untouched).
#include <string>
#include <vector>

#include "comm/nccl_path.hpp"
#include "measure/timing_loop.hpp"
#include "results/sweep.hpp"

namespace bb {

struct BenchOptions {
  std::string backend = "auto";
  std::vector<int> worlds{8};
  std::string layouts = "seeds";
  std::string shapes;  // empty: a default that suits the backend
  std::vector<Layout> mems{Layout::bsh, Layout::sbh};
  std::vector<DType> dtypes{DType::bf16};
  std::vector<std::string> strategies{"reference", "fused"};
  int iterations = 20, warmup = 5;
  std::string mode = "timed";  // timed | graph | profile
  Cadence cadence = Cadence::isolated;
  int delay_rank = -1;         // --inject-delay=RANK:MS (fault injection, to prove the method)
  double delay_ms = 0;
  std::string cupti = "auto";  // auto | on | off
  std::string json_out = "bridge_results.json";
  double timeout_s = 120;
  bool collectives = true;     // also time the bare collectives of each layout
  std::vector<NcclPath> nccl_paths{NcclPath::default_path};  // --nccl-path (comm/nccl_path.hpp)
  std::vector<Contention> contentions{Contention::none};     // --contention: gemm adds a loaded run
  std::string command_line;
  std::vector<std::string> explicit_flags;  // flags given on the command line
  bool given(const std::string& f) const;
};

extern const char* kBenchUsage;

// Removes the flags it knows from argv; throws Error("bad_flag") on a bad value.
BenchOptions parse_bench_options(int* argc, char** argv);

}  // namespace bb
