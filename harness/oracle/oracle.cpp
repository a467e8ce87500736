#include "oracle/oracle.hpp"

#include <cstdio>
#include <sstream>

#include "plan/audit.hpp"

namespace bb {

PatternGeom pattern_geom(const BridgeShape& sh, int64_t batch, int cp_size, int cp_rank, uint32_t salt) {
  PatternGeom g{};
  g.mem = int(sh.mem);
  g.dtype = int(sh.dtype);
  g.b = batch;
  g.s_full = sh.s;
  g.s_local = cp_rank < 0 ? sh.s : sh.s / cp_size;
  g.h = sh.h;
  g.cp_size = cp_size;
  g.cp_rank = cp_rank;
  g.salt = salt;
  return g;
}

static int chunks(const Plan& p) { return 2 * p.dest_cp; }

static std::vector<int64_t> uniform(const std::vector<int64_t>& samples, int c2) {
  std::vector<int64_t> t;
  for (int64_t s : samples) t.insert(t.end(), size_t(c2), s);
  return t;
}

std::vector<int64_t> src_table(const Plan& p, int rank, int64_t b) {
  return uniform(src_samples(p, rank, b), chunks(p));
}

std::vector<int64_t> dest_table(const Plan& p, int rank, int64_t b) {
  return uniform(routed_samples(p, rank, b), chunks(p));
}

std::vector<int64_t> reduced_grad_table(const Plan& p, int rank, int64_t b) {
  const int c2 = chunks(p);
  const int64_t bd = dest_batch_for(p, b);
  std::vector<int64_t> t(size_t(bd * c2));
  for (int ch = 0; ch < c2; ++ch) {
    auto samples = routed_samples(p, chunk_source(p, rank, ch), b);
    for (int64_t j = 0; j < bd; ++j) t[size_t(j * c2 + ch)] = samples[size_t(j)];
  }
  return t;
}

std::vector<int64_t> src_grad_table(const Plan& p, int rank, int64_t b) {
  const int c2 = chunks(p);
  std::vector<int64_t> t(size_t(b * c2));
  for (int64_t i = 0; i < b; ++i) {
    const GradRow from = grad_row_source(p, rank, b, i);  // the dest gradient row that feeds row i
    for (int ch = 0; ch < c2; ++ch)
      t[size_t(i * c2 + ch)] = routed_samples(p, chunk_source(p, from.dest_rank, ch), b)[size_t(from.row)];
  }
  return t;
}

std::string describe_mismatch(const std::string& tensor, int rank, const PatternGeom& g,
                              const VerifyResult& r) {
  int64_t i, t, hid;
  int chunk;
  pattern_locate(g, r.first_index, &i, &t, &hid, &chunk);
  auto val = [&](uint32_t bits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g (0x%0*x)", double(bits_to_float(bits, DType(g.dtype))),
                  g.dtype == 2 ? 8 : 4, bits);
    return std::string(buf);
  };
  std::ostringstream o;
  o << tensor << " on rank " << rank << ": " << r.mismatches << " of " << pattern_elems(g)
    << " elements wrong; first at batch " << i << ", seq " << t << " (local "
    << (g.cp_rank < 0 ? t : (t % (g.s_full / (2 * g.cp_size))) + (chunk == g.cp_rank ? 0 : g.s_full / (2 * g.cp_size)))
    << "), hidden " << hid << ": expected " << val(r.expected_bits) << ", got " << val(r.actual_bits);
  return o.str();
}

}  // namespace bb
