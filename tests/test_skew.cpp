// Launch skew is excluded from every phase in host simulation (tests/skew_check.hpp says how).
#include "skew_check.hpp"

namespace {

bb::BridgeShape shape() {
  bb::BridgeShape sh;
  sh.mem = bb::MemOrder::bsh;
  sh.dtype = bb::DType::fp32;
  sh.b = 2;
  sh.s = 512;
  sh.h = 256;  // 1 MiB per rank: every phase well above the 50 us tolerance, none long enough to drift
  return sh;
}

TEST(HostSkew, InjectedDelayIsExcludedInIsolatedCadence) {
  bbtest::expect_skew_excluded("host", bbtest::kSkewLayout, shape());
}

TEST(HostSkew, StreamingCadenceReportsTheDelay) {
  bbtest::expect_streaming_reports_skew("host", bbtest::kSkewLayout, shape(), bb::Phase::fwd_comm);
}

}  // namespace
