#pragma once
// What a result is: every axis it was measured at, as typed fields. `id()` is the one place a
// result's id string is made (Google Benchmark names, NVTX ranges, the results JSON's "id", the
// stderr lines); `json()` is the results JSON's "key" object beside it (docs/results-schema.md,
// "Config key"), which every script groups and matches by, never by taking the id apart. Both
// walk the axis table (config/axes.hpp): a field here and its row there are the whole of an axis.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "comm/nccl_path.hpp"
#include "core/shape.hpp"
#include "measure/phases.hpp"
#include "measure/timing_loop.hpp"

namespace bb {

// timed: eager round trips; graph: each buffer set's round trip replayed as a CUDA graph;
// profile: one timed round trip per config, for nsys.
enum class RunMode { timed, graph, profile };
const char* run_mode_name(RunMode m);
RunMode parse_run_mode(const std::string& s);  // Error("bad_flag") names the choices

// A round-trip config. The sweep's own axes (layout, memory order, dtype, shape, strategy, NCCL
// path) are in every id; the run-wide settings (mode, cadence, contention) only where they are
// not the default, so default ids stay what they always were and two runs' ids differ whenever
// their keys do. `world` is in the key only: the layout's name already implies it. Repetitions
// are not an axis: every repetition of a config merges into its one entry.
struct ConfigKey {
  std::string layout;  // the parallel layout's name
  int world = 0;
  BridgeShape shape;   // memory order, dtype, b, s, h
  std::string strategy;
  RunMode mode = RunMode::timed;
  Cadence cadence = Cadence::isolated;
  NcclPath path = NcclPath::default_path;
  Contention contention = Contention::none;

  // "seed_fan_in_cp2/bsh/bf16/b2.s4096.h4096/fused/path=zero-cta/contention=gemm"
  std::string id() const;
  nlohmann::ordered_json json() const;
  // The key of a key object (json()); Error("bad_results") names what is missing or bad.
  static ConfigKey from_json(const nlohmann::json& key);
};

// "b2.s4096.h4096": a shape's part of an id (its dtype and memory order are axes of their own).
std::string shape_id(const BridgeShape& sh);

// A bridge collective timed alone: the layout and shape that declare it, its op and phase, its
// message size per rank and the NCCL path. `bytes_in_id`: the same op in the same phase at
// another message size exists for this layout and shape, so the id names the size too.
struct CollectiveKey {
  std::string layout;
  int world = 0;
  BridgeShape shape;  // dtype, b, s, h (the memory order is not the collective's)
  std::string op;
  Phase phase = Phase::fwd_comm;
  int64_t bytes = 0;
  NcclPath path = NcclPath::default_path;
  bool bytes_in_id = false;

  // "seed_fan_in_cp2/bf16/b2.s4096.h4096/all_gather.fwd_comm[.bBYTES][/path=NAME]"
  std::string id() const;
  nlohmann::ordered_json json() const;
};

}  // namespace bb
