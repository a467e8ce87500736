#pragma once
// What bridge_bench hands Google Benchmark and its JSON readers (Google Benchmark's own
// tools/compare.py, github-action-benchmark): the run's context, the unit, and where the text
// summary goes.
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

}  // namespace bb
