// The GPU backends against the host backend: the same rank program runs on each and every
// output byte must match. NCCL runs at world size 1 here (one rank per GPU; NCCL refuses two
// ranks on one GPU); the emulation backend runs 2..16 virtual ranks on one GPU. Also runnable
// under `mpirun -np 1` (ctest comm_nccl_mpi_np1), where the NCCL tests take the MPI launcher.
#include <gtest/gtest.h>

#include <atomic>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "comm/launch.hpp"
#ifdef BB_HAVE_CUDA
#include <cuda_runtime.h>
#endif

using namespace bb;

namespace {

using Bytes = std::vector<uint8_t>;

#define SKIP_WITHOUT_GPU()                                                                      \
  if (gpu_count() < 1) GTEST_SKIP() << "no CUDA GPU: " << (BB_CUDA_BUILT ? "none visible" : "built without CUDA")

#ifdef BB_HAVE_CUDA
constexpr bool BB_CUDA_BUILT = true;
void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error("cuda_error", std::string(what) + ": " + cudaGetErrorString(e));
}
#else
constexpr bool BB_CUDA_BUILT = false;
#endif

void upload(Device& d, void* dst, const void* src, size_t n) {
  if (!n) return;
  if (d.kind() == "host") {
    std::memcpy(dst, src, n);
    return;
  }
#ifdef BB_HAVE_CUDA
  auto s = static_cast<cudaStream_t>(d.native_stream());
  cuda_ok(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, s), "upload");
  cuda_ok(cudaStreamSynchronize(s), "upload");
#endif
}

Bytes download(Comm& c, Device& d, const void* src, size_t n) {
  Bytes b(n);
  c.synchronize();  // bounded wait: a hung collective turns into a CommError here
  if (!n) return b;
  if (d.kind() == "host") {
    std::memcpy(b.data(), src, n);
    return b;
  }
#ifdef BB_HAVE_CUDA
  auto s = static_cast<cudaStream_t>(d.native_stream());
  cuda_ok(cudaMemcpyAsync(b.data(), src, n, cudaMemcpyDeviceToHost, s), "download");
  cuda_ok(cudaStreamSynchronize(s), "download");
#endif
  return b;
}

Bytes pattern(size_t n, int seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed * 131 + i * 7 + (i >> 8));
  return b;
}

// Small integers: every sum is exact in every dtype, whatever the summation order.
Bytes values(DType t, size_t count, int rank) {
  const size_t es = dtype_size(t);
  Bytes b(count * es);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = float_to_bits(float((rank + int(i)) % 5), t);
    std::memcpy(b.data() + i * es, &bits, es);
  }
  return b;
}

template <class T>
Bytes as_bytes(const std::vector<T>& v) {
  Bytes b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Outputs of one run, by name, then by world rank.
struct Results {
  std::mutex mu;
  std::map<std::string, std::map<int, Bytes>> out;
  void put(const std::string& name, int rank, Bytes b) {
    std::lock_guard<std::mutex> lk(mu);
    out[name][rank] = std::move(b);
  }
};

// Every collective, out of place and in place, in the world and in split groups.
void rank_program(Comm& c, Device& d, Results& res) {
  const int n = c.size(), r = c.rank();
  const size_t N = size_t(n);
  auto put = [&](const std::string& k, const void* p, size_t bytes) { res.put(k, r, download(c, d, p, bytes)); };

  for (size_t B : {size_t(4099), size_t(1) << 20}) {
    c.set_phase("all_gather");
    const std::string tag = std::to_string(B);
    Bytes in = pattern(B, 100 + r);
    DeviceBuffer s(d, B), o(d, B * N), io(d, B * N);
    upload(d, s.get(), in.data(), B);
    d.poison(o.get(), B * N);
    c.all_gather(s.get(), o.get(), B);
    put("all_gather/" + tag, o.get(), B * N);
    d.poison(io.get(), B * N);
    char* own = static_cast<char*>(io.get()) + size_t(r) * B;
    upload(d, own, in.data(), B);
    c.all_gather(own, io.get(), B);
    put("all_gather_in_place/" + tag, io.get(), B * N);
  }
  c.all_gather(nullptr, nullptr, 0);  // every rank agrees on nothing: must not deadlock

  for (DType t : {DType::bf16, DType::fp16, DType::fp32}) {
    c.set_phase(std::string("all_reduce_") + dtype_name(t));
    const size_t count = 100003, bytes = count * dtype_size(t);
    Bytes x = values(t, count, r);
    DeviceBuffer s(d, bytes), o(d, bytes);
    upload(d, s.get(), x.data(), bytes);
    d.poison(o.get(), bytes);
    c.all_reduce_sum(s.get(), o.get(), count, t);
    put(std::string("all_reduce/") + dtype_name(t), o.get(), bytes);
    c.all_reduce_sum(s.get(), s.get(), count, t);
    put(std::string("all_reduce_in_place/") + dtype_name(t), s.get(), bytes);
  }
  {
    // Chained in-place reductions with no sync between: stream ordering across ranks must hold.
    c.set_phase("all_reduce_chain");
    const size_t count = 1 << 18, bytes = count * 4;
    Bytes x = values(DType::fp32, count, r);
    DeviceBuffer s(d, bytes);
    upload(d, s.get(), x.data(), bytes);
    for (int i = 0; i < 3; ++i) c.all_reduce_sum(s.get(), s.get(), count, DType::fp32);
    put("all_reduce_chain", s.get(), bytes);
  }

  {
    c.set_phase("all_to_all");
    const size_t P = 3001;
    Bytes x(P * N);
    for (int k = 0; k < n; ++k) {
      Bytes b = pattern(P, r * 64 + k);
      std::memcpy(x.data() + size_t(k) * P, b.data(), P);
    }
    DeviceBuffer s(d, P * N), o(d, P * N);
    upload(d, s.get(), x.data(), P * N);
    d.poison(o.get(), P * N);
    c.all_to_all(s.get(), o.get(), P);
    put("all_to_all", o.get(), P * N);
    c.all_to_all(s.get(), s.get(), P);
    put("all_to_all_in_place", s.get(), P * N);
  }

  {
    c.set_phase("send_recv");
    const int next = (r + 1) % n, prev = (r + n - 1) % n;
    Bytes a = pattern(5000, 500 + r), b = pattern(64, 900 + r);
    DeviceBuffer ring_s(d, a.size()), ring_r(d, a.size()), self_s(d, b.size()), self_r(d, b.size());
    upload(d, ring_s.get(), a.data(), a.size());
    upload(d, self_s.get(), b.data(), b.size());
    d.poison(ring_r.get(), a.size());
    d.poison(self_r.get(), b.size());
    std::vector<P2POp> ops;
    if (n > 1) {
      ops.push_back({P2POp::send, next, ring_s.get(), a.size()});
      ops.push_back({P2POp::recv, prev, ring_r.get(), a.size()});
    }
    ops.push_back({P2POp::send, r, self_s.get(), b.size()});
    ops.push_back({P2POp::recv, r, self_r.get(), b.size()});
    c.send_recv(ops);
    if (n > 1) put("send_recv_ring", ring_r.get(), a.size());
    put("send_recv_self", self_r.get(), b.size());
    // Send and receive the same buffer: the send must carry the old contents.
    c.send_recv({{P2POp::send, next, ring_s.get(), a.size()}, {P2POp::recv, prev, ring_s.get(), a.size()}});
    put("send_recv_in_place", ring_s.get(), a.size());
  }

  {
    // Odd ranks in descending order, even ranks ascending; with 3+ ranks the last even rank is
    // left out. Order inside a group is the list order.
    c.set_phase("split");
    std::vector<std::vector<int>> groups(2);
    for (int k = n - 1; k >= 0; --k)
      if (k % 2) groups[0].push_back(k);
    for (int k = 0; k < n; k += 2) groups[1].push_back(k);
    if (n >= 3) groups[1].pop_back();
    if (groups[0].empty()) groups.erase(groups.begin());
    auto sub = c.split(groups);
    std::vector<int> info{sub ? sub->rank() : -1, sub ? sub->size() : -1};
    if (sub) info.insert(info.end(), sub->world_ranks().begin(), sub->world_ranks().end());
    res.put("split_info", r, as_bytes(info));
    if (sub) {
      const size_t m = size_t(sub->size()), B = 1001, count = 4097;
      Bytes in = pattern(B, 300 + r);
      DeviceBuffer s(d, B), o(d, B * m);
      upload(d, s.get(), in.data(), B);
      sub->all_gather(s.get(), o.get(), B);
      res.put("split_all_gather", r, download(*sub, d, o.get(), B * m));
      Bytes x = values(DType::bf16, count, r);
      DeviceBuffer xs(d, count * 2);
      upload(d, xs.get(), x.data(), x.size());
      sub->all_reduce_sum(xs.get(), xs.get(), count, DType::bf16);
      res.put("split_all_reduce", r, download(*sub, d, xs.get(), count * 2));
      res.put("split_max", r, as_bytes(std::vector<double>{sub->max_over_ranks(100.0 + r)}));
      std::vector<int> rev(m);
      for (size_t k = 0; k < m; ++k) rev[k] = int(m - 1 - k);
      auto sub2 = sub->split({rev});
      sub2->all_gather(s.get(), o.get(), B);
      res.put("split_nested_all_gather", r, download(*sub2, d, o.get(), B * m));
      res.put("split_nested_ranks", r, as_bytes(sub2->world_ranks()));
    }
    c.barrier();
  }

  c.set_phase("agree");
  res.put("max_over_ranks", r, as_bytes(std::vector<double>{c.max_over_ranks(r * 1.5)}));
  c.barrier();
  c.synchronize();
}

LaunchOptions opts(const std::string& backend, int world, double timeout_s = 120) {
  LaunchOptions o;
  o.backend = backend;
  o.world = world;
  o.timeout_s = timeout_s;
  return o;
}

void run(const LaunchOptions& o, Results& res) {
  launch(o, [&](Comm& c, Device& d) {
    ASSERT_EQ(c.backend(), o.backend);
    rank_program(c, d, res);
  });
}

void expect_same(Results& want, Results& got, const std::string& label) {
  ASSERT_EQ(want.out.size(), got.out.size()) << label << ": different sets of outputs";
  for (auto& [name, ranks] : want.out) {
    auto it = got.out.find(name);
    ASSERT_NE(it, got.out.end()) << label << ": missing " << name;
    for (auto& [rank, bytes] : ranks) {
      const Bytes& g = it->second[rank];
      ASSERT_EQ(g.size(), bytes.size()) << label << " " << name << " rank " << rank;
      for (size_t i = 0; i < bytes.size(); ++i)
        if (g[i] != bytes[i]) {
          ADD_FAILURE() << label << ": " << name << " rank " << rank << " differs from the host backend at byte "
                        << i << " (got " << int(g[i]) << ", want " << int(bytes[i]) << ")";
          break;
        }
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One rank skips a collective; the others must get collective_timeout naming phase, group and
// the rank that never arrived, within timeout + 1 s of the hung enqueue (the clock starts
// there, not before the backend's init).
void expect_hang_detected(const std::string& backend, int n, double timeout) {
  std::atomic<double> enqueued_at{-1};
  auto now_s = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  try {
    launch(opts(backend, n, timeout), [&](Comm& c, Device& d) {
      DeviceBuffer s(d, 256), o(d, 256 * size_t(n));
      c.barrier();
      c.set_phase("hung_all_gather");
      if (c.rank() == n - 1) return;
      if (c.rank() == 0) enqueued_at = now_s();
      c.all_gather(s.get(), o.get(), 256);
      c.synchronize();
    });
    ADD_FAILURE() << backend << ": a hung collective did not fail";
  } catch (const CommError& e) {
    const std::string msg = e.what();
    std::string group = "[";
    for (int k = 0; k < n; ++k) group += (k ? "," : "") + std::to_string(k);
    group += "]";
    EXPECT_EQ(e.rule(), "collective_timeout") << msg;
    EXPECT_NE(msg.find("hung_all_gather"), std::string::npos) << msg;
    EXPECT_NE(msg.find(group), std::string::npos) << msg;
    EXPECT_NE(msg.find("world rank(s) [" + std::to_string(n - 1) + "] never arrived"), std::string::npos) << msg;
  }
  ASSERT_GE(enqueued_at.load(), 0) << "the hung collective was never enqueued";
  const double s = now_s() - enqueued_at.load();
  std::printf("[ info ] %s world %d: hung collective detected and aborted %.2f s after its enqueue (timeout %.1f s)\n",
              backend.c_str(), n, s, timeout);
  EXPECT_LT(s, timeout + 1.0);
}

// Aborting every communicator of a rank (world + splits) is quick even at world 1, so a
// timeout's abort cannot eat the budget above. Measured from the failure to the error.
TEST(NcclComm, AbortOfAllCommunicatorsIsQuick) {
  SKIP_WITHOUT_GPU();
  if (under_mpi()) GTEST_SKIP() << "needs the threads launcher";
  std::atomic<double> failed_at{-1};
  auto now_s = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  try {
    launch(opts("nccl", 1, 30), [&](Comm& c, Device& d) {
      auto a = c.split({{0}});
      auto b = a->split({{0}});
      auto e = b->split({{0}});
      DeviceBuffer buf(d, 1 << 20);
      e->all_reduce_sum(buf.get(), buf.get(), (1 << 20) / 4, DType::fp32);
      c.synchronize();
      failed_at = now_s();
      throw Error("boom", "fails on purpose with 4 live communicators");
    });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "boom") << e.what();
  }
  const double s = now_s() - failed_at.load();
  std::printf("[ info ] nccl world 1: 4 communicators aborted and torn down in %.3f s\n", s);
  // Measured on an H200: 1.00 s for the 4 aborted at once (each in its own thread). That is the
  // floor of an NCCL 2.28 abort: its proxy and UDS service threads poll every 500 ms
  // (src/proxy.cc) and the abort joins them in turn.
  EXPECT_LT(s, 1.5);
}

TEST(NcclComm, World1MatchesHost) {
  SKIP_WITHOUT_GPU();
  const int n = under_mpi() ? mpi_world_size() : 1;
  Results host, nccl;
  run(opts("host", n), host);
  run(opts("nccl", n), nccl);
  expect_same(host, nccl, "nccl world " + std::to_string(n));
}

TEST(NcclComm, RefusesMoreRanksThanGpus) {
  SKIP_WITHOUT_GPU();
  if (under_mpi()) GTEST_SKIP() << "under MPI the world size is MPI's";
  try {
    launch(opts("nccl", gpu_count() + 1), [](Comm&, Device&) {});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "not_enough_gpus") << e.what();
  }
}

TEST(NcclComm, HungCollectiveTimesOut) {
  SKIP_WITHOUT_GPU();
  if (under_mpi()) GTEST_SKIP() << "needs the threads launcher";
  if (gpu_count() < 2) GTEST_SKIP() << "needs 2 GPUs for 2 NCCL ranks (have " << gpu_count() << ")";
  expect_hang_detected("nccl", 2, 3.0);
}

class EmulateComm : public ::testing::TestWithParam<int> {};

TEST_P(EmulateComm, MatchesHost) {
  SKIP_WITHOUT_GPU();
  const int n = GetParam();
  Results host, emu;
  run(opts("host", n), host);
  run(opts("emulate", n), emu);
  expect_same(host, emu, "emulate world " + std::to_string(n));
}

INSTANTIATE_TEST_SUITE_P(World, EmulateComm, ::testing::Values(1, 2, 4, 8, 16));

TEST(EmulateCommFailures, HungCollectiveTimesOut) {
  SKIP_WITHOUT_GPU();
  expect_hang_detected("emulate", 2, 1.5);
  expect_hang_detected("emulate", 4, 1.5);
}

TEST(EmulateCommFailures, MismatchedCollectivesAreReported) {
  SKIP_WITHOUT_GPU();
  try {
    launch(opts("emulate", 2, 30), [](Comm& c, Device& d) {
      DeviceBuffer b(d, 1024);
      c.set_phase("mismatch");
      if (c.rank() == 0)
        c.all_gather(b.get(), b.get(), 512);
      else
        c.all_reduce_sum(b.get(), b.get(), 256, DType::fp32);
    });
    ADD_FAILURE() << "no error";
  } catch (const CommError& e) {
    EXPECT_EQ(e.rule(), "collective_mismatch") << e.what();
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
  }
}

TEST(EmulateCommFailures, PeerFailureAbortsOthersFast) {
  SKIP_WITHOUT_GPU();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    launch(opts("emulate", 4, 60), [](Comm& c, Device& d) {
      DeviceBuffer s(d, 64), o(d, 256);
      if (c.rank() == 1) throw Error("boom", "rank 1 fails on purpose");
      c.all_gather(s.get(), o.get(), 64);
      c.synchronize();
    });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "boom") << e.what();
  }
  EXPECT_LT(seconds_since(t0), 5.0);
}

}  // namespace
