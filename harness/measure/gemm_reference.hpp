#pragma once
// The GEMM load's exact check, host side (pure C++, tested in CI). Inputs are small integers in
// {-1, 0, 1}, exact in bf16; with k <= 256 every output sum stays within [-256, 256], where bf16
// (8 significant bits) is still exact, so the GPU's bf16 result must equal the host product
// bit for bit. Matrices are column-major (cuBLAS's order): A is m x k, B is k x n, C is m x n.
#include <cstdint>
#include <string>
#include <vector>

namespace bb {

constexpr int64_t kGemmExactMaxK = 256;  // |sum| <= k <= 256: exact in bf16

inline int gemm_exact_a(int64_t row, int64_t col) { return int((row * 7 + col * 3) % 3) - 1; }
inline int gemm_exact_b(int64_t row, int64_t col) { return int((row * 5 + col * 11 + 1) % 3) - 1; }

// bf16 bit patterns of -1, 0, 1 (exact).
inline uint16_t bf16_of_small_int(int v) { return v == 0 ? 0 : v > 0 ? 0x3F80 : 0xBF80; }

// The host product C = A * B of the exact case, column-major, as integers.
std::vector<int32_t> gemm_exact_reference(int64_t m, int64_t n, int64_t k);
// A's and B's bf16 bits, column-major.
std::vector<uint16_t> gemm_exact_a_bf16(int64_t m, int64_t k);
std::vector<uint16_t> gemm_exact_b_bf16(int64_t k, int64_t n);
// Compares a bf16 result (bits) with the reference: the number of wrong elements, and the first
// one described in `first` (row, col, got, want). Throws Error("bad_shape") when k > 256.
int64_t gemm_exact_mismatches(const std::vector<uint16_t>& c_bf16, int64_t m, int64_t n, int64_t k,
                              std::string* first);

// FLOPs of one m x n x k GEMM (a multiply and an add per term).
inline double gemm_flops(int64_t m, int64_t n, int64_t k) { return 2.0 * double(m) * double(n) * double(k); }

}  // namespace bb
