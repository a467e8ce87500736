// Launch skew is excluded from every phase in single-GPU emulation, where the ranks' streams and
// the gate/alignment are real GPU work (tests/skew_check.hpp says how). Skips without a GPU.
#include "../skew_check.hpp"
#include "comm/launch.hpp"

namespace {

#define REQUIRE_GPU()    \
  if (bb::gpu_count() < 1) \
  GTEST_SKIP() << "no CUDA GPU: the emulated skew test runs on the device machine (scripts/device.sh)"


bb::BridgeShape shape() {
  bb::BridgeShape sh;
  sh.mem = bb::MemOrder::bsh;
  sh.dtype = bb::DType::bf16;
  sh.b = 4;
  sh.s = 8192;
  sh.h = 4096;  // 256 MiB per rank: the seed shape of the multi-GPU runs
  return sh;
}

TEST(EmulatedSkew, InjectedDelayIsExcludedInIsolatedCadence) {
  REQUIRE_GPU();
  bbtest::expect_skew_excluded("emulate", bbtest::kSkewLayout, shape());
}

TEST(EmulatedSkew, StreamingCadenceReportsTheDelay) {
  REQUIRE_GPU();
  // Streaming on a GPU: the host runs ahead of a 256 MiB round trip, so the delay may be hidden
  // behind queued work; only the report of the skew is required there.
  const double delay = 2.0;
  auto [plain, late] = bbtest::interleaved("emulate", bbtest::kSkewLayout, shape(), bb::Cadence::streaming, 1, 30, delay);
  std::printf("[ info ] emulate streaming: skew median undelayed %.3f ms, delayed %.3f ms\n", bbtest::med(plain.skew),
              bbtest::med(late.skew));
  EXPECT_GT(bbtest::med(late.skew), 0.9 * delay);
}

}  // namespace
