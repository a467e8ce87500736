// The cell exchange at any scale (issue 22: p2p and alltoall priced up to 16,384 ranks). The
// exchange was rewritten from a quadratic whole-world scan to near-linear work; this test holds it
// to the answers of the quadratic code on every layout `--layouts=all` runs at worlds 2-16 (plus
// non-canonical orders and an offset): the move lists of both directions, the exchange groups,
// every strategy's declared collectives and byte model per rank, and the local work the cost model
// dry-runs (everything the model reads of a strategy). tests/data/exchange_golden.txt holds one
// digest per case. The quadratic code wrote the first version of it, whose digest also held the
// model's prediction (commit "test_exchange_scale: ..."); the near-linear code matched it and
// wrote this one, without the prediction, which the model's own changes move on purpose
// (BB_WRITE_EXCHANGE_GOLDEN=PATH writes the file instead of checking it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "bridge/strategy.hpp"
#include "core/error.hpp"
#include "model/dry_run.hpp"
#include "model/predict.hpp"
#include "plan/exchange.hpp"
#include "config/sweep.hpp"

namespace {

using namespace bb;

// FNV-1a, 64 bits: stable across compilers and runs, unlike std::hash.
struct Digest {
  uint64_t h = 1469598103934665603ull;
  void add(const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  }
  void add(int64_t v) { add(std::to_string(v)); }
  std::string hex() const {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", (unsigned long long)h);
    return b;
  }
};

void add_moves(Digest& d, const std::vector<CellMove>& v) {
  d.add(int64_t(v.size()));
  for (const auto& m : v) {
    d.add(m.from), d.add(m.to), d.add(m.from_row), d.add(m.from_pos), d.add(m.to_row), d.add(m.to_pos);
  }
}

void add_groups(Digest& d, const std::vector<std::vector<int>>& gs) {
  d.add(int64_t(gs.size()));
  for (const auto& g : gs) {
    d.add("g");
    for (int r : g) d.add(r);
  }
}

// Everything the exchange decides for one plan and batch, as one digest.
std::string digest(const Plan& p, int64_t b) {
  Digest d;
  add_moves(d, forward_exchange(p, b));
  add_moves(d, backward_exchange(p, b));
  const ExchangeGroups eg = exchange_groups(p);
  add_groups(d, eg.groups);
  d.add(eg.forward_on_cp), d.add(eg.backward_on_cp);
  BridgeShape sh;
  sh.b = b;
  sh.s = 64;
  sh.h = 8;
  for (const auto& name : strategy_names()) {
    const auto s = make_strategy(name);
    d.add(name);
    add_groups(d, s->gather_groups(p));
    for (const auto& u : s->collectives(p, sh)) {
      d.add(int64_t(u.phase)), d.add(int64_t(u.op)), d.add(u.msg_bytes);
      add_groups(d, u.groups);
    }
    for (int r = p.offset(); r < p.offset() + p.size(); ++r)
      for (const auto& pb : s->byte_model(p, sh, r)) d.add(pb.op), d.add(pb.bytes), d.add(pb.padding);
    for (int r : modelled_ranks(p))
      for (const auto& w : dry_run(*s, p, sh, r)) d.add(w.bytes), d.add(w.launches);
  }
  return d.hex();
}

// Every case: each layout of worlds 2-16 in canonical order, with dp first in both orders (where
// the plan accepts it), and at offset 1; at the plan's unit batch and twice it.
std::vector<std::pair<std::string, std::string>> cases() {
  std::vector<std::pair<std::string, std::string>> out;
  for (int w = 2; w <= 16; ++w)
    for (const auto& base : all_layouts(w)) {
      std::vector<LayoutCase> variants{base, base, base};
      variants[1].src_order = {"dp", "pp", "cp", "tp"};
      variants[1].dest_order = {"pp", "tp", "cp", "dp"};
      variants[2].offset = 1;
      variants[2].world = w + 1;
      for (size_t k = 0; k < variants.size(); ++k) {
        const std::string name = "w" + std::to_string(w) + " " + base.name + " v" + std::to_string(k);
        try {
          const Plan p = variants[k].plan();
          const int64_t u = unit_src_batch(p);
          out.push_back({name, digest(p, u) + " " + digest(p, 2 * u)});
        } catch (const Error& e) {
          out.push_back({name, "error:" + e.rule()});
        }
      }
    }
  return out;
}

TEST(ExchangeScale, SameAnswersAsTheQuadraticExchangeOnWorlds2To16) {
  const auto got = cases();
  if (const char* w = std::getenv("BB_WRITE_EXCHANGE_GOLDEN")) {
    std::ofstream f(w);
    for (const auto& [name, dig] : got) f << name << "\t" << dig << "\n";
    GTEST_SKIP() << "BB_WRITE_EXCHANGE_GOLDEN is set: wrote the golden file " << w
                 << " instead of comparing (unset it to run the comparison, as CI does)";
  }
  std::ifstream f(BB_TEST_DATA "/exchange_golden.txt");
  ASSERT_TRUE(f) << "missing golden file";
  std::map<std::string, std::string> want;
  for (std::string line; std::getline(f, line);) {
    const auto tab = line.find('\t');
    want[line.substr(0, tab)] = line.substr(tab + 1);
  }
  ASSERT_EQ(want.size(), got.size());
  int errors = 0, checked = 0;
  for (const auto& [name, dig] : got) {
    ASSERT_TRUE(want.count(name)) << name;
    EXPECT_EQ(want[name], dig) << name;
    errors += dig.rfind("error:", 0) == 0;
    ++checked;
  }
  EXPECT_GT(checked - errors, 500);  // most cases are valid plans, not refusals
}

}  // namespace
