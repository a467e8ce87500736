#pragma once
// The stdout table: a view of the results JSON (it reads nothing else), printed after the run.
#include <cstdio>

#include <nlohmann/json.hpp>

namespace bb {

// Each config's time, host launch skew over the ranks (median / max per iteration; the isolated
// cadence keeps it out of the times), link bytes (max over ranks, from the strategy's byte
// model) against the per-rank minimum, ratio to its floor, speedup over the `reference` whose
// key differs only in the strategy (same layout, shape, memory order, dtype, NCCL path,
// contention, mode and cadence), and #wrong; then the failures and what the cadence excludes;
// then one line naming the results file. Every config needs its "key" (schema version 4; older
// files get theirs from scripts/summary.py, which upgrades them first).
void print_summary(std::FILE* out, const nlohmann::ordered_json& results, const char* results_path);

}  // namespace bb
