#include "measure/gemm_reference.hpp"

#include <cstring>

#include "core/error.hpp"

namespace bb {

std::vector<int32_t> gemm_exact_reference(int64_t m, int64_t n, int64_t k) {
  std::vector<int32_t> c(size_t(m * n), 0);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p) {
      const int b = gemm_exact_b(p, j);
      if (!b) continue;
      for (int64_t i = 0; i < m; ++i) c[size_t(j * m + i)] += gemm_exact_a(i, p) * b;
    }
  return c;
}

std::vector<uint16_t> gemm_exact_a_bf16(int64_t m, int64_t k) {
  std::vector<uint16_t> a(size_t(m * k));
  for (int64_t p = 0; p < k; ++p)
    for (int64_t i = 0; i < m; ++i) a[size_t(p * m + i)] = bf16_of_small_int(gemm_exact_a(i, p));
  return a;
}

std::vector<uint16_t> gemm_exact_b_bf16(int64_t k, int64_t n) {
  std::vector<uint16_t> b(size_t(k * n));
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p) b[size_t(j * k + p)] = bf16_of_small_int(gemm_exact_b(p, j));
  return b;
}

static float float_of_bf16(uint16_t bits) {
  const uint32_t u = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

int64_t gemm_exact_mismatches(const std::vector<uint16_t>& c, int64_t m, int64_t n, int64_t k, std::string* first) {
  if (k > kGemmExactMaxK)
    throw Error("bad_shape", "the exact GEMM case needs k <= 256 (bf16 is exact to 256), got " + std::to_string(k));
  if (int64_t(c.size()) != m * n) throw Error("bad_shape", "GEMM result has the wrong size");
  const auto want = gemm_exact_reference(m, n, k);
  int64_t wrong = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < m; ++i) {
      const float got = float_of_bf16(c[size_t(j * m + i)]);
      const int32_t w = want[size_t(j * m + i)];
      if (got == float(w)) continue;
      if (!wrong && first)
        *first = "C(" + std::to_string(i) + "," + std::to_string(j) + ") = " + std::to_string(got) + ", want " +
                 std::to_string(w);
      ++wrong;
    }
  return wrong;
}

}  // namespace bb
