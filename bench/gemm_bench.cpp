// gemm_bench: the contention load alone (measure/gemm_load.hpp) at a few sizes, against a bf16
// dense peak given on the command line, after its exact check.
//   gemm_bench [PEAK_TFLOPS=989] [SECONDS_PER_SIZE=1] [N ...]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "measure/gemm_load.hpp"
#include "measure/gemm_reference.hpp"

int main(int argc, char** argv) {
  const double peak = argc > 1 ? std::atof(argv[1]) : 989.0;  // H100/H200 SXM bf16 dense
  const double secs = argc > 2 ? std::atof(argv[2]) : 1.0;
  std::vector<long> sizes;
  for (int i = 3; i < argc; ++i) sizes.push_back(std::atol(argv[i]));
  if (sizes.empty()) sizes = {4096, 8192, 16384};
  try {
    std::printf("| n | GEMMs | window ms | TFLOP/s | %% of %.0f peak |\n| --- | --- | --- | --- | --- |\n", peak);
    for (long n : sizes) {
      bb::GemmLoad load(0, n);
      std::string first;
      const int64_t wrong = load.check_exact(1024, 512, bb::kGemmExactMaxK, &first);
      if (wrong) {
        std::fprintf(stderr, "gemm_bench: exact check failed: %lld wrong, %s\n", (long long)wrong, first.c_str());
        return 1;
      }
      load.run_alone(200);  // clocks up
      const bb::GemmStats s = load.run_alone(secs * 1000);
      std::printf("| %ld | %.1f | %.1f | %.1f | %.1f%% |\n", n, s.gemms, s.window_ms, s.tflops, 100.0 * s.tflops / peak);
    }
    std::printf("\nexact check (1024 x 512 x 256, values in {-1,0,1}, bf16 out) passed on every size's load\n");
  } catch (const bb::Error& e) {
    std::fprintf(stderr, "gemm_bench: %s: %s\n", e.rule().c_str(), e.what());
    return 1;
  }
  return 0;
}
