#include "results/config_key.hpp"

#include <sstream>

namespace bb {

namespace {

// In RunMode's order.
constexpr const char* kRunModeNames[] = {"timed", "graph", "profile"};

// "bf16/b2.s4096.h4096": the part of an id that a config and its collectives share.
std::string size_part(const BridgeShape& sh) {
  std::ostringstream o;
  o << dtype_name(sh.dtype) << "/b" << sh.b << ".s" << sh.s << ".h" << sh.h;
  return o.str();
}

std::string path_part(NcclPath p) {
  return p == NcclPath::default_path ? "" : std::string("/path=") + nccl_path_name(p);
}

}  // namespace

const char* run_mode_name(RunMode m) { return kRunModeNames[int(m)]; }

RunMode parse_run_mode(const std::string& s) {
  for (int m = 0; m < 3; ++m)
    if (s == kRunModeNames[m]) return RunMode(m);
  throw Error("bad_flag", "--mode is timed, graph or profile");
}

std::string ConfigKey::id() const {
  std::string id = layout + "/" + mem_order_name(shape.mem) + "/" + size_part(shape) + "/" + strategy + path_part(path);
  if (contention != Contention::none) id += std::string("/contention=") + contention_name(contention);
  if (mode != RunMode::timed) id += std::string("/mode=") + run_mode_name(mode);
  if (cadence != Cadence::isolated) id += std::string("/cadence=") + cadence_name(cadence);
  return id;
}

nlohmann::ordered_json ConfigKey::json() const {
  return {{"layout", layout},
          {"world", world},
          {"mem", mem_order_name(shape.mem)},
          {"dtype", dtype_name(shape.dtype)},
          {"b", shape.b},
          {"s", shape.s},
          {"h", shape.h},
          {"strategy", strategy},
          {"mode", run_mode_name(mode)},
          {"cadence", cadence_name(cadence)},
          {"nccl_path", nccl_path_name(path)},
          {"contention", contention_name(contention)}};
}

std::string CollectiveKey::id() const {
  std::string id = layout + "/" + size_part(shape) + "/" + op + "." + phase_name(phase);
  if (bytes_in_id) id += ".b" + std::to_string(bytes);
  return id + path_part(path);
}

nlohmann::ordered_json CollectiveKey::json() const {
  return {{"layout", layout},
          {"world", world},
          {"dtype", dtype_name(shape.dtype)},
          {"b", shape.b},
          {"s", shape.s},
          {"h", shape.h},
          {"op", op},
          {"phase", phase_name(phase)},
          {"bytes_per_rank", bytes},
          {"nccl_path", nccl_path_name(path)}};
}

}  // namespace bb
