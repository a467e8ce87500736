// The host backend against straightforward expectations (no GPU; runs in CI). It is the
// reference the emulation and NCCL backends are compared with in tests/gpu/test_comm.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "comm/host_comm.hpp"
#include "comm/launch.hpp"
#include "core/float_bits.hpp"
#include "host_kernels.hpp"

using namespace bb;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes pattern(size_t n, int seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed * 131 + i * 7 + (i >> 8));
  return b;
}

// Small integers: every partial and final sum is exact in bf16, fp16 and fp32.
float value(int rank, size_t i) { return float((rank + int(i)) % 5); }

Bytes values(DType t, size_t count, int rank) {
  const size_t es = dtype_size(t);
  Bytes b(count * es);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = float_to_bits(value(rank, i), t);
    std::memcpy(b.data() + i * es, &bits, es);  // little endian: the low bytes
  }
  return b;
}

LaunchOptions host(int world, double timeout_s = 30) {
  LaunchOptions o;
  o.backend = "host";
  o.world = world;
  o.timeout_s = timeout_s;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class HostCollectives : public ::testing::TestWithParam<int> {};

TEST_P(HostCollectives, MatchExpectation) {
  const int n = GetParam();
  std::mutex mu;
  std::vector<std::string> failures;
  auto check = [&](bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard<std::mutex> lk(mu);
    failures.push_back(what);
  };
  launch(host(n), [&](Comm& c, Device&) {
    const int r = c.rank();
    ASSERT_EQ(c.size(), n);
    ASSERT_EQ(c.backend(), "host");

    const size_t B = 1001;
    Bytes all(B * size_t(n));
    for (int k = 0; k < n; ++k) {
      Bytes p = pattern(B, k);
      std::memcpy(all.data() + size_t(k) * B, p.data(), B);
    }
    Bytes in = pattern(B, r), out(B * size_t(n), 0xee);
    c.all_gather(in.data(), out.data(), B);
    check(out == all, "all_gather rank " + std::to_string(r));
    Bytes io(B * size_t(n), 0xee);
    std::memcpy(io.data() + size_t(r) * B, in.data(), B);
    c.all_gather(io.data() + size_t(r) * B, io.data(), B);
    check(io == all, "in-place all_gather rank " + std::to_string(r));

    for (DType t : {DType::bf16, DType::fp16, DType::fp32}) {
      const size_t count = 777, es = dtype_size(t);
      Bytes x = values(t, count, r), y(x.size(), 0xee);
      c.all_reduce_sum(x.data(), y.data(), count, t);
      bool ok = true;
      for (size_t i = 0; i < count; ++i) {
        float want = 0;
        for (int k = 0; k < n; ++k) want += value(k, i);
        uint32_t got = 0;
        std::memcpy(&got, y.data() + i * es, es);
        ok = ok && got == float_to_bits(want, t);
      }
      check(ok, std::string("all_reduce_sum ") + dtype_name(t) + " rank " + std::to_string(r));
      c.all_reduce_sum(x.data(), x.data(), count, t);
      check(x == y, std::string("in-place all_reduce_sum ") + dtype_name(t));
    }

    const size_t P = 37;
    Bytes send(P * size_t(n)), recv(P * size_t(n), 0xee), want(P * size_t(n));
    for (int k = 0; k < n; ++k) {
      Bytes blk = pattern(P, r * 64 + k), theirs = pattern(P, k * 64 + r);
      std::memcpy(send.data() + size_t(k) * P, blk.data(), P);
      std::memcpy(want.data() + size_t(k) * P, theirs.data(), P);
    }
    c.all_to_all(send.data(), recv.data(), P);
    check(recv == want, "all_to_all rank " + std::to_string(r));

    // Ring plus a send to self in one call.
    const int next = (r + 1) % n, prev = (r + n - 1) % n;
    Bytes ring_in = pattern(300, 500 + r), ring_out(300, 0xee), self_in = pattern(40, 900 + r),
          self_out(40, 0xee);
    std::vector<P2POp> ops;
    if (n > 1) {
      ops.push_back({P2POp::send, next, ring_in.data(), ring_in.size()});
      ops.push_back({P2POp::recv, prev, ring_out.data(), ring_out.size()});
    }
    ops.push_back({P2POp::send, r, self_in.data(), self_in.size()});
    ops.push_back({P2POp::recv, r, self_out.data(), self_out.size()});
    c.send_recv(ops);
    if (n > 1) check(ring_out == pattern(300, 500 + prev), "send_recv ring rank " + std::to_string(r));
    check(self_out == self_in, "send_recv self rank " + std::to_string(r));

    check(c.max_over_ranks(r * 1.5) == (n - 1) * 1.5, "max_over_ranks");
    c.barrier();
    c.synchronize();
  });
  for (const auto& f : failures) ADD_FAILURE() << f;
}

INSTANTIATE_TEST_SUITE_P(World, HostCollectives, ::testing::Range(1, 9));

// Rank order inside a split group is the list order (never sorted); ranks in no group get null.
TEST(HostComm, SplitKeepsListOrder) {
  const int n = 6;
  std::mutex mu;
  std::vector<std::string> failures;
  auto check = [&](bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard<std::mutex> lk(mu);
    failures.push_back(what);
  };
  const std::vector<std::vector<int>> groups = {{5, 3, 1}, {0, 2}};
  launch(host(n), [&](Comm& c, Device&) {
    const int r = c.rank();
    c.set_phase("split-test");
    auto sub = c.split(groups);
    if (r == 4) {
      check(sub == nullptr, "rank 4 is in no group");
      return;
    }
    ASSERT_NE(sub, nullptr);
    const auto& g = (r % 2) ? groups[0] : groups[1];
    int idx = int(std::find(g.begin(), g.end(), r) - g.begin());
    check(sub->rank() == idx && sub->size() == int(g.size()), "sub rank/size of " + std::to_string(r));
    check(sub->world_ranks() == g, "world_ranks of the group of " + std::to_string(r));
    check(sub->phase() == "split-test", "phase is inherited");
    int32_t me = r, got[3] = {-1, -1, -1};
    sub->all_gather(&me, got, sizeof me);
    for (size_t k = 0; k < g.size(); ++k) check(got[k] == g[k], "gather order in group");
    // A split of a split: reversed again, so the order is the original world order reversed twice.
    std::vector<int> rev(g.size());
    for (size_t k = 0; k < g.size(); ++k) rev[k] = int(g.size() - 1 - k);
    auto sub2 = sub->split({rev});
    ASSERT_NE(sub2, nullptr);
    std::vector<int> want(g.rbegin(), g.rend());
    check(sub2->world_ranks() == want, "world_ranks of a nested split");
    sub2->all_gather(&me, got, sizeof me);
    for (size_t k = 0; k < g.size(); ++k) check(got[k] == want[k], "gather order in nested group");
  });
  for (const auto& f : failures) ADD_FAILURE() << f;
}

TEST(HostComm, BadGroupsAreRejected) {
  EXPECT_THROW(launch(host(2), [](Comm& c, Device&) { c.split({{0, 1}, {1}}); }), Error);
  EXPECT_THROW(launch(host(2), [](Comm& c, Device&) { c.split({{0, 2}}); }), Error);
}

// One rank skips a collective: the others must get a CommError naming the phase and the group
// once the timeout passes, not hang.
TEST(HostComm, HungCollectiveTimesOut) {
  const double timeout = 0.5;
  for (bool in_subgroup : {false, true}) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      launch(host(3, timeout), [&](Comm& c, Device&) {
        std::unique_ptr<Comm> sub;
        Comm* g = &c;
        if (in_subgroup) {
          sub = c.split({{2, 1}});
          if (!sub) return;
          g = sub.get();
        }
        g->set_phase("hung_all_gather");
        if (g->rank() == g->size() - 1) return;  // skips the collective
        char in[8] = {}, out[24];
        g->all_gather(in, out, 8);
      });
      ADD_FAILURE() << "a hung collective did not fail";
    } catch (const CommError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.rule(), "collective_timeout") << msg;
      EXPECT_NE(msg.find("hung_all_gather"), std::string::npos) << msg;
      EXPECT_NE(msg.find(in_subgroup ? "[2,1]" : "[0,1,2]"), std::string::npos) << msg;
    }
    const double s = seconds_since(t0);
    EXPECT_GE(s, timeout * 0.9);
    EXPECT_LT(s, timeout + 2.0);
  }
}

// A failing rank stops the others at once (they are waiting on it), and its error wins over
// their "aborted" consequences.
TEST(HostComm, PeerFailureAbortsOthersFast) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    launch(host(4, 60), [](Comm& c, Device&) {
      if (c.rank() == 2) throw Error("boom", "rank 2 fails on purpose");
      c.barrier();
      c.barrier();
    });
    ADD_FAILURE() << "the failure was not rethrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "boom") << e.what();
  }
  EXPECT_LT(seconds_since(t0), 2.0);
}

}  // namespace

// Issue 20 I04: a data collective's --timeout counts from its entry, as NCCL's watchdog does:
// every rank arrives at each of its waits, but the collective as a whole runs past the
// timeout (a phase of 1.16 s under --timeout=1 was taken), so the waiting rank aborts it.
TEST(HostComm, TimeoutCountsFromTheCollectivesStart) {
  using Clock = bb::Rendezvous::Clock;
  auto abort = std::make_shared<bb::AbortState>();
  bb::Rendezvous rv({0, 1}, abort, 0.3);
  std::string rule;
  std::thread waiter([&] {
    const auto started = Clock::now() - std::chrono::milliseconds(250);  // the collective began 250 ms ago
    try {
      rv.arrive_and_wait(0, "fwd_comm", 200, started);
    } catch (const bb::CommError& e) {
      rule = e.rule();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // within 0.3 s of this wait, past the collective's
  try {
    rv.arrive_and_wait(1, "fwd_comm");
  } catch (const bb::CommError&) {
  }
  waiter.join();
  EXPECT_EQ(rule, "collective_timeout");
  EXPECT_TRUE(abort->aborted.load());
  // The same wait without a start (a barrier, an agreement) counts from itself: no timeout.
  bb::Rendezvous calm({0, 1}, std::make_shared<bb::AbortState>(), 0.3);
  std::thread other([&] { calm.arrive_and_wait(0, "barrier"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_NO_THROW(calm.arrive_and_wait(1, "barrier"));
  other.join();
}

// Issue 20: host_sum works a block at a time with the dtype fixed; each element is still
// 0 + src0 + src1 + ... in source order, rounded once (the element-wise definition), in every
// dtype, across block boundaries, subnormals and infinities included.
TEST(HostComm, BlockedSumIsTheElementwiseSum) {
  const int64_t n = 5000;
  for (int dt : {0, 1, 2}) {
    std::vector<std::vector<uint32_t>> src(3, std::vector<uint32_t>(size_t(n)));
    uint64_t x = 88172645463325252ull;
    for (auto& v : src)
      for (auto& e : v) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        e = dt == 2 ? uint32_t(x) : uint32_t(x & 0xffff);
      }
    std::vector<const void*> ptrs;
    std::vector<std::vector<uint16_t>> narrow(3);
    for (int k = 0; k < 3; ++k) {
      narrow[size_t(k)].assign(src[size_t(k)].begin(), src[size_t(k)].end());
      ptrs.push_back(dt == 2 ? static_cast<const void*>(src[size_t(k)].data()) : narrow[size_t(k)].data());
    }
    std::vector<uint32_t> out(static_cast<size_t>(n));
    bb::host_sum(out.data(), ptrs, n, dt);
    for (int64_t i = 0; i < n; ++i) {
      float acc = 0.f;
      for (int k = 0; k < 3; ++k) acc += bb::dtype_bits_to_float(src[size_t(k)][size_t(i)], dt);
      const uint32_t want = bb::float_to_dtype_bits(acc, dt);
      const uint32_t got = dt == 2 ? out[size_t(i)] : reinterpret_cast<const uint16_t*>(out.data())[i];
      if (want != got && !(std::isnan(acc))) {
        ADD_FAILURE() << "dtype " << dt << " element " << i << ": " << got << " != " << want;
        break;
      }
    }
  }
}
