#pragma once
// --benchmark_repetitions: one results-JSON entry per config (or bare collective), whatever the
// repetition count, so every repetition's samples count for the comparison scripts.
#include <nlohmann/json.hpp>

namespace bb {

// Folds one more repetition of a config (or bare collective) into the entry kept for it:
// appends its samples to samples_ms of the total and of each phase, recomputes median/min/max/
// mean over all samples and what is derived from the median (floor_ratio, algbw_GBps,
// busbw_GBps), and tracks repetition_medians_ms, repetition_spread and repetitions.
void merge_repetition(nlohmann::ordered_json& kept, const nlohmann::ordered_json& next, double next_median_ms);

}  // namespace bb
