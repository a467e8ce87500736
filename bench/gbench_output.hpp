#pragma once
// What bridge_bench hands Google Benchmark and its JSON readers (Google Benchmark's own
// tools/compare.py, github-action-benchmark): the run's context, the unit, where the text
// summary goes, and how repetitions of one config merge into one results-JSON entry.
#include <cstdio>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

namespace bb {

// Sub-millisecond configs need a finer unit than ms, or compare.py rounds them to 0, 1, 2.
constexpr benchmark::TimeUnit kBenchTimeUnit = benchmark::kMicrosecond;

// backend, device, world and commit as Google Benchmark custom context ("context" object of
// --benchmark_format=json / --benchmark_out), so a JSON file says what it measured.
// Call before benchmark::RunSpecifiedBenchmarks().
void add_run_context(const nlohmann::ordered_json& environment, int world);

// Where the human-readable summary goes: stderr when stdout carries Google Benchmark's
// machine-readable format (--benchmark_format=json|csv), so stdout parses as one document.
std::FILE* summary_stream(int argc, char** argv);

// Folds one more repetition of a config (or bare collective) into the entry kept for it:
// appends its samples to samples_ms of the total and of each phase (every repetition counts
// for the comparison scripts), recomputes median/min/max/mean over all samples and what is
// derived from the median (floor_ratio, algbw_GBps, busbw_GBps), and tracks
// repetition_medians_ms, repetition_spread and repetitions.
void merge_repetition(nlohmann::ordered_json& kept, const nlohmann::ordered_json& next, double next_median_ms);

}  // namespace bb
