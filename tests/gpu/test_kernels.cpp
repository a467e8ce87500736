// CUDA kernels and the CUDA Device against the host twins, bit for bit. Without a GPU every GPU
// test skips; only the FastDiv arithmetic check (pure host code) runs.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "boxes.hpp"
#include "comm/gpu_launch.hpp"
#include "cuda_kernels.cuh"
#include "device/cuda_device.hpp"
#include "fastdiv.cuh"
#include "host_kernels.hpp"

namespace bb {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(FastDiv, MatchesHardwareDivision) {
  std::mt19937_64 rng(7);
  std::vector<uint32_t> divisors = {1, 2, 3, 5, 7, 64, 100, 511, 512, 513, 4096, 1u << 20, (1u << 30) - 1,
                                    1u << 30, (1u << 31) - 1};
  for (int i = 0; i < 2000; ++i) divisors.push_back(uint32_t(rng() % ((1u << 31) - 1)) + 1);
  for (uint32_t d : divisors) {
    const FastDiv f = make_fastdiv(d);
    std::vector<uint32_t> ns = {0, 1, d - 1, d, d + 1, (1u << 31) - 1, (1u << 31) - 2};
    for (int k = 0; k < 200; ++k) ns.push_back(uint32_t(rng() % (1u << 31)));
    for (uint32_t k = 1; k < 4; ++k)
      if (uint64_t(d) * k < (1u << 31)) ns.push_back(d * k - 1), ns.push_back(d * k);
    for (uint32_t n : ns) {
      if (n >= (1u << 31)) continue;
      ASSERT_EQ(fastdiv(n, f), n / d) << "n=" << n << " d=" << d;
    }
  }
}

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (gpu_count_impl() == 0)
      GTEST_SKIP() << "no CUDA GPU: cudaGetDeviceCount found none; the CUDA kernel tests need one";
    dev = make_cuda_device(0);
    stream = static_cast<cudaStream_t>(dev->native_stream());
  }
  void up(void* g, const void* h, size_t n) {
    ASSERT_EQ(cudaMemcpyAsync(g, h, n, cudaMemcpyHostToDevice, stream), cudaSuccess);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  }
  Bytes down(const void* g, size_t n) {
    Bytes h(n);
    EXPECT_EQ(cudaMemcpyAsync(h.data(), g, n, cudaMemcpyDeviceToHost, stream), cudaSuccess);
    EXPECT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    return h;
  }
  Bytes random_bytes(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; i += 8) {  // 8 bytes per draw: the split test fills gigabytes
      const uint64_t r = rng();
      std::memcpy(b.data() + i, &r, std::min<size_t>(8, n - i));
    }
    return b;
  }

  std::unique_ptr<Device> dev;
  cudaStream_t stream = nullptr;
  std::mt19937_64 rng{12345};
};

// The first differing byte, or -1.
int64_t first_diff(const Bytes& a, const Bytes& b) {
  const auto m = std::mismatch(a.begin(), a.end(), b.begin());
  return m.first == a.end() ? -1 : int64_t(m.first - a.begin());
}

// A buffer present on the GPU and on the host with identical random contents; `off` bytes past an
// aligned base, so a non-zero offset forces narrower vectors.
struct Twin {
  DeviceBuffer g;
  Bytes h;
  size_t off = 0, bytes = 0;
  char* gp() const { return static_cast<char*>(g.get()) + off; }
  char* hp() { return reinterpret_cast<char*>(h.data()) + off; }
};

// ---- segment-list copies: every builder of boxes.hpp ----

struct Shape {
  int64_t b, s, h;
};
using CopyParam = std::tuple<DType, MemOrder, Shape, int /*misalign in elements*/>;

class CopyOps : public Gpu, public ::testing::WithParamInterface<CopyParam> {
 protected:
  Twin twin(size_t bytes, size_t off) {
    Twin t;
    t.off = off;
    t.bytes = bytes;
    t.g = DeviceBuffer(*dev, bytes + off + 64);
    t.h = random_bytes(bytes + off + 64);
    up(t.g.get(), t.h.data(), t.h.size());
    return t;
  }
  TensorRef ref(void* p, MemOrder l, int64_t b, int64_t s, int64_t h) const {
    return TensorRef{p, l, b, s, h, int64_t(dtype_size(std::get<0>(GetParam())))};
  }
  // Runs `build(inputs..., output)` over GPU and host pointers and compares the whole output
  // buffers (so bytes the op must not touch are checked too).
  template <typename Build>
  void check(const std::string& what, std::vector<Twin*> ins, Twin& out, Build build) {
    std::vector<char*> gi, hi;
    for (Twin* t : ins) gi.push_back(t->gp()), hi.push_back(t->hp());
    const auto gsegs = build(gi, out.gp());
    const auto hsegs = build(hi, out.hp());
    if (std::get<3>(GetParam()) != 0 && !gsegs.empty()) {
      EXPECT_LT(cuda_copy_width(gsegs), 16) << what << ": misaligned list should use narrower vectors";
    }
    dev->copy(gsegs);
    host_copy_segments(hsegs);
    const Bytes got = down(out.g.get(), out.h.size());
    const int64_t d = first_diff(got, out.h);
    EXPECT_EQ(d, -1) << what << ": first differing byte " << d << " (width " << cuda_copy_width(gsegs) << ", "
                     << gsegs.size() << " segments)";
  }
};

TEST_P(CopyOps, AllBuilders) {
  const auto [dt, mem, sh, mis] = GetParam();
  const int64_t es = int64_t(dtype_size(dt));
  const size_t off = size_t(mis * es);
  const int64_t B = sh.b, S = sh.s, H = sh.h;
  const int64_t full_bytes = B * S * H * es;
  const MemOrder other = mem == MemOrder::bsh ? MemOrder::sbh : MemOrder::bsh;

  // narrow: several (start, size) slices.
  for (auto [st, sz] : std::vector<std::pair<int64_t, int64_t>>{{0, B}, {B - 1, 1}, {B / 2, B - B / 2}, {1, B - 1}}) {
    if (sz <= 0 || st + sz > B) continue;
    Twin src = twin(size_t(full_bytes), off), dst = twin(size_t(sz * S * H * es), off);
    check("narrow", {&src}, dst, [&](auto& in, char* o) {
      return narrow_segments(ref(o, mem, sz, S, H), ref(in[0], mem, B, S, H), st, sz);
    });
  }
  // gather fix-up of n parts.
  for (int n : {1, 3}) {
    Twin g = twin(size_t(n * full_bytes), off), dst = twin(size_t(n * full_bytes), off);
    check("gather_fixup", {&g}, dst, [&](auto& in, char* o) {
      return gather_fixup_segments(ref(o, mem, n * B, S, H), ref(in[0], mem, B, S, H), n);
    });
  }
  // relayout to the other memory order.
  {
    Twin src = twin(size_t(full_bytes), off), dst = twin(size_t(full_bytes), off);
    check("relayout", {&src}, dst, [&](auto& in, char* o) {
      return relayout_segments(ref(o, other, B, S, H), ref(in[0], mem, B, S, H));
    });
  }
  // CP shard, adjoint and unshard for every rank.
  for (int c : {2, 3}) {
    if (S % (2 * c)) continue;
    const int64_t Ssh = S / c, shard_bytes = B * Ssh * H * es;
    for (int r = 0; r < c; ++r) {
      Twin full = twin(size_t(full_bytes), off), shard = twin(size_t(shard_bytes), off);
      check("cp_shard", {&full}, shard, [&](auto& in, char* o) {
        return cp_shard_segments(ref(o, mem, B, Ssh, H), ref(in[0], mem, B, S, H), c, r);
      });
      Twin sh2 = twin(size_t(shard_bytes), off), full2 = twin(size_t(full_bytes), off);
      check("cp_adjoint", {&sh2}, full2, [&](auto& in, char* o) {
        return cp_adjoint_segments(ref(o, mem, B, S, H), ref(in[0], mem, B, Ssh, H), c, r);
      });
    }
    for (auto [b0, nb] : std::vector<std::pair<int64_t, int64_t>>{{0, B}, {B / 2, B - B / 2}}) {
      Twin g = twin(size_t(c * shard_bytes), off), dst = twin(size_t(nb * S * H * es), off);
      check("cp_unshard", {&g}, dst, [&](auto& in, char* o) {
        return cp_unshard_segments(ref(o, mem, nb, S, H), ref(in[0], mem, B, Ssh, H), c, b0, nb);
      });
    }
  }
}

std::string copy_name(const ::testing::TestParamInfo<CopyParam>& i) {
  const auto& [dt, l, s, m] = i.param;
  return std::string(dtype_name(dt)) + (l == MemOrder::bsh ? "_bsh_" : "_sbh_") + std::to_string(s.b) + "x" +
         std::to_string(s.s) + "x" + std::to_string(s.h) + (m ? "_misaligned" : "");
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, CopyOps,
    ::testing::Combine(::testing::Values(DType::bf16, DType::fp16, DType::fp32),
                       ::testing::Values(MemOrder::bsh, MemOrder::sbh),
                       ::testing::Values(Shape{2, 13, 3}, Shape{3, 12, 7}, Shape{4, 36, 64}, Shape{5, 60, 520},
                                         Shape{2, 132, 1024}, Shape{40, 6, 8}),
                       ::testing::Values(0, 1)),
    copy_name);

// Random lists: any count (past one launch's kCopyMaxSegs), sizes, pitches, offsets, zero segments.
TEST_F(Gpu, CopyRandomSegmentLists) {
  for (int iter = 0; iter < 60; ++iter) {
    const int n = 1 + int(rng() % 80);
    const int align = iter % 3 == 0 ? 16 : 1;  // a third of the lists are 16-byte clean
    auto pick = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); };
    struct Spec { int64_t rows, row, dp, sp, doff, soff; bool zero; };
    std::vector<Spec> specs;
    int64_t dbytes = 0, sbytes = 0;
    for (int k = 0; k < n; ++k) {
      Spec s;
      s.rows = pick(1, 40);
      s.row = pick(1, 3000) / align * align + align;
      s.dp = s.row + pick(0, 100) / align * align;
      s.sp = s.row + pick(0, 100) / align * align;
      s.zero = rng() % 5 == 0;
      s.doff = dbytes + (align == 16 ? 0 : pick(0, 3));
      dbytes = s.doff + s.rows * s.dp;
      dbytes = (dbytes + 15) / 16 * 16;
      s.soff = align == 16 ? pick(0, 8) * 16 : pick(0, 200);
      sbytes = std::max(sbytes, s.soff + s.rows * s.sp);
      specs.push_back(s);
    }
    DeviceBuffer gs(*dev, size_t(sbytes)), gd(*dev, size_t(dbytes));
    Bytes hs = random_bytes(size_t(sbytes)), hd = random_bytes(size_t(dbytes));
    up(gs.get(), hs.data(), hs.size());
    up(gd.get(), hd.data(), hd.size());
    std::vector<CopySegment> g, h;
    for (const Spec& s : specs) {
      char* gsrc = s.zero ? nullptr : static_cast<char*>(gs.get()) + s.soff;
      char* hsrc = s.zero ? nullptr : reinterpret_cast<char*>(hs.data()) + s.soff;
      g.push_back({static_cast<char*>(gd.get()) + s.doff, gsrc, s.rows, s.row, s.dp, s.sp});
      h.push_back({reinterpret_cast<char*>(hd.data()) + s.doff, hsrc, s.rows, s.row, s.dp, s.sp});
    }
    if (align == 16) {
      EXPECT_EQ(cuda_copy_width(g), 16);
    }
    dev->copy(g);
    host_copy_segments(h);
    const int64_t d = first_diff(down(gd.get(), hd.size()), hd);
    ASSERT_EQ(d, -1) << "iteration " << iter << ": " << n << " segments, width " << cuda_copy_width(g);
  }
}

// Segments past 2^30 vectors are split (by columns, then by row groups): 1-byte width forces it.
TEST_F(Gpu, CopyLargeSplitSegments) {
  const int64_t row = (int64_t(1) << 28) + 7, rows = 5, pitch = row + 5;
  const int64_t big = (int64_t(1) << 30) + 5;
  const int64_t bytes = std::max(rows * pitch, big) + 1;
  DeviceBuffer gs(*dev, size_t(bytes)), gd(*dev, size_t(bytes));
  Bytes hs = random_bytes(size_t(bytes)), hd = random_bytes(size_t(bytes));
  up(gs.get(), hs.data(), hs.size());
  for (int variant = 0; variant < 2; ++variant) {
    up(gd.get(), hd.data(), hd.size());
    Bytes hexp = hd;
    auto seg = [&](char* d, char* s) {
      return variant == 0 ? CopySegment{d, s + 1, rows, row, pitch, pitch} : CopySegment{d, s + 1, 1, big, big, big};
    };
    std::vector<CopySegment> g = {seg(static_cast<char*>(gd.get()), static_cast<char*>(gs.get()))};
    EXPECT_EQ(cuda_copy_width(g), 1);
    dev->copy(g);
    host_copy_segments({seg(reinterpret_cast<char*>(hexp.data()), reinterpret_cast<char*>(hs.data()))});
    EXPECT_EQ(first_diff(down(gd.get(), hd.size()), hexp), -1) << "variant " << variant;
  }
}

// ---- pattern fill and verify ----

using PatternParam = std::tuple<DType, MemOrder>;
class Pattern : public Gpu, public ::testing::WithParamInterface<PatternParam> {};

TEST_P(Pattern, FillMatchesHostAndVerifyFindsPlantedMismatches) {
  const auto [dt, mem] = GetParam();
  const size_t es = dtype_size(dt);
  struct Case { int64_t b, s_local, s_full, h; int c, r; bool holes; };
  const std::vector<Case> cases = {
      {2, 13, 13, 3, 1, -1, false},     // odd s, full sequence
      {3, 12, 12, 7, 2, -1, true},      // full sequence with zero chunks (a CP gradient)
      {3, 4, 12, 5, 3, 1, false},       // a CP shard
      {4, 1030, 1030, 1000, 1, -1, false},  // several million elements: many blocks and warps
  };
  for (const Case& cs : cases) {
    PatternGeom g{int(mem), int(dt), cs.b, cs.s_local, cs.s_full, cs.h, cs.c, cs.r, 0x5eedu};
    std::vector<int64_t> table(size_t(cs.b * 2 * cs.c));
    for (size_t k = 0; k < table.size(); ++k)
      table[k] = (cs.holes && k % 3 == 1) ? -1 : int64_t(k / size_t(2 * cs.c)) + 17;
    const int64_t n = pattern_elems(g);
    const size_t bytes = size_t(n) * es;
    DeviceBuffer t(*dev, bytes);
    dev->poison(t.get(), bytes);
    const VerifyResult poisoned = dev->verify(t.get(), g, table);
    EXPECT_EQ(poisoned.mismatches, n);
    EXPECT_EQ(poisoned.first_index, 0);

    dev->fill(t.get(), g, table);
    Bytes host(bytes);
    host_fill_pattern(host.data(), g, table.data());
    EXPECT_EQ(first_diff(down(t.get(), bytes), host), -1) << "fill differs from the host twin, b=" << cs.b;
    const VerifyResult clean = dev->verify(t.get(), g, table);
    EXPECT_EQ(clean.mismatches, 0);
    EXPECT_EQ(clean.first_index, -1);

    // Plant mismatches (flip a low bit) and compare with the host twin's verdict.
    std::vector<int64_t> idx;
    for (int k = 0; k < 5; ++k) idx.push_back(int64_t(rng() % uint64_t(n)));
    idx.push_back(n - 1);
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    for (int64_t i : idx) host[size_t(i) * es] ^= 1;
    up(t.get(), host.data(), bytes);
    const VerifyResult got = dev->verify(t.get(), g, table);
    const VerifyResult want = host_verify_pattern(host.data(), g, table.data());
    EXPECT_EQ(got.mismatches, int64_t(idx.size()));
    EXPECT_EQ(got.mismatches, want.mismatches);
    EXPECT_EQ(got.first_index, idx.front());
    EXPECT_EQ(got.first_index, want.first_index);
    EXPECT_EQ(got.expected_bits, want.expected_bits);
    EXPECT_EQ(got.actual_bits, want.actual_bits);
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Pattern,
                         ::testing::Combine(::testing::Values(DType::bf16, DType::fp16, DType::fp32),
                                            ::testing::Values(MemOrder::bsh, MemOrder::sbh)),
                         [](const ::testing::TestParamInfo<PatternParam>& i) {
                           return std::string(dtype_name(std::get<0>(i.param))) +
                                  (std::get<1>(i.param) == MemOrder::bsh ? "_bsh" : "_sbh");
                         });

// ---- sum ----

class Sum : public Gpu, public ::testing::WithParamInterface<DType> {};

TEST_P(Sum, MatchesHostBitForBit) {
  const DType dt = GetParam();
  const size_t es = dtype_size(dt);
  std::uniform_real_distribution<float> mant(-2.f, 2.f);
  std::uniform_int_distribution<int> expo(-26, 12);  // reaches fp16 subnormals and rounding ties
  for (int64_t count : {int64_t(1), int64_t(7), int64_t(1001), int64_t(65536 + 3)}) {
    for (int n : {1, 2, 3, 5}) {
      for (int mis : {0, 1}) {
        for (bool alias : {false, true}) {
          const size_t off = size_t(mis) * es, bytes = size_t(count) * es;
          std::vector<DeviceBuffer> gsrc;
          std::vector<Bytes> hsrc;
          for (int k = 0; k < n; ++k) {
            Bytes h(bytes + off);
            for (int64_t i = 0; i < count; ++i) {
              const uint32_t b = float_to_bits(std::ldexp(mant(rng), expo(rng)), dt);
              std::memcpy(h.data() + off + size_t(i) * es, &b, es);  // little-endian low bytes
            }
            gsrc.emplace_back(*dev, bytes + off);
            up(gsrc.back().get(), h.data(), h.size());
            hsrc.push_back(std::move(h));
          }
          DeviceBuffer gdst(*dev, bytes + off);
          Bytes hdst(bytes + off);
          std::vector<const void*> gp, hp;
          for (int k = 0; k < n; ++k) {
            gp.push_back(static_cast<char*>(gsrc[size_t(k)].get()) + off);
            hp.push_back(hsrc[size_t(k)].data() + off);
          }
          void* gd = alias ? const_cast<void*>(gp[0]) : static_cast<char*>(gdst.get()) + off;
          void* hd = alias ? const_cast<void*>(hp[0]) : hdst.data() + off;
          dev->sum(gd, gp, count, dt);
          host_sum(hd, hp, count, int(dt));
          const Bytes got = down(gd, bytes);
          const Bytes want(static_cast<uint8_t*>(hd), static_cast<uint8_t*>(hd) + bytes);
          ASSERT_EQ(first_diff(got, want), -1)
              << "count " << count << " n " << n << " misaligned " << mis << " alias " << alias;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Sum, ::testing::Values(DType::bf16, DType::fp16, DType::fp32),
                         [](const ::testing::TestParamInfo<DType>& i) { return std::string(dtype_name(i.param)); });

// ---- the Device itself ----

TEST_F(Gpu, DeviceMarksAndErrors) {
  EXPECT_EQ(dev->kind(), "cuda");
  EXPECT_EQ(dev->ordinal(), 0);
  EXPECT_NE(dev->native_stream(), nullptr);
  DeviceBuffer a(*dev, 64 << 20), b(*dev, 64 << 20);
  for (int round = 0; round < 3; ++round) {  // marks are reused after reset_marks
    dev->reset_marks();
    const int m0 = dev->mark();
    dev->copy({{b.get(), a.get(), 1, 64 << 20, 0, 0}});
    const int m1 = dev->mark();
    EXPECT_EQ(m0, 0);
    EXPECT_EQ(m1, 1);
    const double ms = dev->elapsed_ms(m0, m1);
    EXPECT_GT(ms, 0.0);
    EXPECT_LT(ms, 1000.0);
  }
  EXPECT_THROW(make_cuda_device(gpu_count_impl()), Error);
  // Two Devices on one GPU have their own streams.
  auto other = make_cuda_device(0);
  EXPECT_NE(other->native_stream(), dev->native_stream());
}

// The planted slowdown's spin (Device::wait_us, kernels/cuda/spin.cu), timed by the device's
// own CUDA events: it lasts what it was asked for, from 50 us to 20 ms. The global timer ticks
// every microsecond or finer, and the launch on a stream forked from and joined back into the
// rank's adds a few microseconds (H100: 7.6 us at 50 us), hence the 15 us allowance.
TEST_F(Gpu, WaitUsSpinsForItsLength) {
  dev->wait_us(100);  // first launch: module load, not timed
  dev->synchronize();
  for (double us : {50.0, 200.0, 1000.0, 5000.0, 20000.0}) {
    dev->reset_marks();
    const int m0 = dev->mark();
    dev->wait_us(us);
    const int m1 = dev->mark();
    const double got_us = dev->elapsed_ms(m0, m1) * 1e3;
    std::printf("[ info ] wait_us(%.0f): %.1f us by CUDA events\n", us, got_us);
    EXPECT_GE(got_us, us * 0.99) << "the spin ended early";
    EXPECT_LE(got_us, us * 1.02 + 15) << "the spin ran long";
  }
  dev->reset_marks();  // 0 and below launch nothing
  const int m0 = dev->mark();
  dev->wait_us(0);
  dev->wait_us(-5);
  EXPECT_LT(dev->elapsed_ms(m0, dev->mark()) * 1e3, 10.0);
}

// The planted slowdown's spin beside another stream's large copy (in emulation, the other ranks'
// work): it still lasts its length. A spin queued on the rank's own stream waits for a free SM
// behind every block queued before it; wait_us runs it at the highest stream priority. The
// same spin on the rank's own stream is shown for comparison (the fault this guards against),
// not asserted: how long it waits is the GPU's scheduling, not ours (H100: a 50 us spin on the
// rank's stream took 756 us beside a 904 us copy; wait_us(50) took 66 us beside a 728 us one).
TEST_F(Gpu, WaitUsSpinsForItsLengthBesideBusyStreams) {
  auto other = make_cuda_device(0);
  const size_t bytes = size_t(1) << 30;
  DeviceBuffer a(*other, bytes), b(*other, bytes);
  dev->wait_us(10);
  cuda_spin(10000, stream);
  dev->synchronize();
  auto beside_copy = [&](bool own_stream) {
    other->reset_marks();
    dev->reset_marks();
    const int c0 = other->mark();
    other->copy({{b.get(), a.get(), 1, int64_t(bytes), 0, 0}});
    const int c1 = other->mark();
    const int m0 = dev->mark();
    if (own_stream)
      cuda_spin(50000, stream);
    else
      dev->wait_us(50);
    const int m1 = dev->mark();
    const double spin_us = dev->elapsed_ms(m0, m1) * 1e3, copy_us = other->elapsed_ms(c0, c1) * 1e3;
    return std::pair<double, double>{spin_us, copy_us};
  };
  const auto [own_us, own_copy_us] = beside_copy(true);
  std::printf("[ info ] a 50 us spin on the rank's own stream beside a %.0f us copy: %.1f us\n", own_copy_us, own_us);
  const auto [spin_us, copy_us] = beside_copy(false);
  std::printf("[ info ] wait_us(50) beside a %.0f us copy: %.1f us\n", copy_us, spin_us);
  EXPECT_GT(copy_us, 250.0) << "the copy beside the spin was too short to show anything";
  EXPECT_GE(spin_us, 50 * 0.99) << "the spin ended early";
  EXPECT_LE(spin_us, 50 * 1.02 + 30) << "the spin waited behind the other stream's copy";
}

// Separate so the sanitizer runs can leave out its deliberate cudaMalloc failure.
TEST_F(Gpu, DeviceOutOfMemory) {
  try {
    dev->alloc(size_t(1) << 50);
    FAIL() << "a 1 PiB allocation succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.rule(), "out_of_memory");
    EXPECT_NE(std::string(e.what()).find(std::to_string(size_t(1) << 50)), std::string::npos) << e.what();
  }
  // The failed allocation left no sticky error: the device still works.
  DeviceBuffer a(*dev, 64);
  dev->poison(a.get(), 64);
  dev->synchronize();
}

}  // namespace
}  // namespace bb
