#include "config/config_key.hpp"

#include <sstream>

#include "config/axes.hpp"

namespace bb {

namespace {

// In RunMode's order.
constexpr const char* kRunModeNames[] = {"timed", "graph", "profile"};

// "bf16/b2.s4096.h4096": the part of an id that a config and its collectives share.
std::string size_part(const BridgeShape& sh) { return dtype_name(sh.dtype) + ("/" + shape_id(sh)); }

std::string path_part(NcclPath p) {
  return p == NcclPath::default_path ? "" : std::string("/path=") + nccl_path_name(p);
}

}  // namespace

std::string shape_id(const BridgeShape& sh) {
  std::ostringstream o;
  o << "b" << sh.b << ".s" << sh.s << ".h" << sh.h;
  return o.str();
}

const char* run_mode_name(RunMode m) { return kRunModeNames[int(m)]; }

RunMode parse_run_mode(const std::string& s) {
  for (int m = 0; m < 3; ++m)
    if (s == kRunModeNames[m]) return RunMode(m);
  throw Error("bad_flag", "--mode is timed, graph or profile");
}

std::string ConfigKey::id() const {
  std::string id;
  for (const Axis& a : axis_table()) {
    const std::string v = a.get(*this);
    if (a.omitted.empty()) id += (id.empty() ? "" : "/") + v;
    else if (v != a.omitted) id += "/" + a.id_label + "=" + v;
  }
  return id;
}

nlohmann::ordered_json ConfigKey::json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const Axis* a : key_object_order()) a->json(*this, j);
  return j;
}

ConfigKey ConfigKey::from_json(const nlohmann::json& key) {
  ConfigKey k;
  try {
    if (!key.is_object()) throw Error("bad_results", "not an object");
    for (const Axis& a : axis_table()) a.read(key, k);
  } catch (const Error& e) {
    throw Error("bad_results", "key " + key.dump() + ": " + e.what());
  }
  return k;
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
