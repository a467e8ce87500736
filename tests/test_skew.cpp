// Launch skew is excluded from every phase in host simulation (tests/skew_check.hpp says how).
#include "skew_check.hpp"

namespace {

// 1 MiB per rank: every phase well above the 50 us tolerance, none long enough to drift.
bb::BridgeShape shape() { return bbtest::host_shape(512); }

TEST(HostSkew, InjectedDelayIsExcludedInIsolatedCadence) {
  bbtest::expect_skew_excluded("host", bbtest::kSkewLayout, shape());
}

TEST(HostSkew, StreamingCadenceReportsTheDelay) {
  bbtest::expect_streaming_reports_skew("host", bbtest::kSkewLayout, shape(), bb::Phase::fwd_comm);
}

}  // namespace
