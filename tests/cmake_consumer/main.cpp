// Uses the harness's public API the way an outside project would and checks the answers:
// core (memory order, tensor bytes, errors), the plan (layout flags -> grids -> plan), the
// kernels' host headers and the harness library proper (the strategy table). Exit 0 when all agree, 1 otherwise.
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bridge/strategy.hpp"
#include "core/error.hpp"
#include "core/shape.hpp"
#include "pattern.hpp"
#include "plan/grid.hpp"
#include "plan/layout_arg.hpp"
#include "plan/plan.hpp"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bb_consumer: FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  // core: memory order and tensor bytes (bf16: 2 bytes per element).
  bb::BridgeShape sh;
  sh.mem = bb::parse_mem_order("sbh");
  sh.dtype = bb::DType::bf16;
  sh.s = 64;
  sh.h = 256;
  check(sh.mem == bb::MemOrder::sbh, "parse_mem_order(\"sbh\")");
  check(bb::tensor_bytes(sh, 2) == int64_t(2) * 64 * 256 * 2, "tensor_bytes(2x64x256 bf16)");
  std::string rule;
  try {
    bb::parse_mem_order("hsb");
  } catch (const bb::Error& e) {
    rule = e.rule();
  }
  check(rule == "bad_mem_order", "parse_mem_order(\"hsb\") throws bad_mem_order");

  // The plan: world 8, src tp=2,dp=4 -> dest tp=2,cp=2,dp=2 is a fan-in by 2 (as bridge-plan prints).
  const auto order = bb::parse_order("tp,cp,pp,dp");
  const bb::Grid src = bb::make_grid(bb::parse_sizes("tp=2,dp=4"), order, 0);
  const bb::Grid dest = bb::make_grid(bb::parse_sizes("tp=2,cp=2,dp=2"), order, 0);
  const bb::Plan p = bb::make_plan(8, src, dest);
  check(p.direction == bb::Direction::fan_in, "direction fan_in");
  check(p.scale == 2, "scale 2");
  const std::vector<std::vector<int>> groups = {{0, 2}, {1, 3}, {4, 6}, {5, 7}};
  check(p.gather_groups == groups, "gather groups [0 2] [1 3] [4 6] [5 7]");
  check(p.cp_groups == groups, "cp groups [0 2] [1 3] [4 6] [5 7]");
  check(bb::dest_batch_for(p, 2) == 4, "dest batch 4 for src batch 2");

  // The kernels' host headers ("pattern.hpp" resolves from the same include root).
  bb::PatternGeom g{int(sh.mem), int(sh.dtype), 2, 64, 64, 256, 1, -1, 0};
  check(bb::pattern_elems(g) == int64_t(2) * 64 * 256, "pattern_elems(2x64x256)");

  // The harness library: the strategy table, and a strategy made from it.
  const auto& names = bb::strategy_names();
  check(!names.empty(), "strategy_names() not empty");
  check(!names.empty() && bb::make_strategy(names.front()) != nullptr, "make_strategy(first name)");

  if (failures) return 1;
  std::printf("bb_consumer: ok (%zu strategies, plan %s x%d)\n", names.size(), bb::direction_name(p.direction),
              p.scale);
  return 0;
}
