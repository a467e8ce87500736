#include "config/axes.hpp"

#include <algorithm>
#include <stdexcept>

#include "bridge/strategy.hpp"
#include "core/checked.hpp"
#include "run/round_trip.hpp"

namespace bb {

namespace {

using json = nlohmann::json;

// A key object's string entry, or Error("bad_results") naming it.
std::string string_at(const json& key, const std::string& name) {
  if (!key.contains(name) || !key.at(name).is_string())
    throw Error("bad_results", "key has no string \"" + name + "\"");
  return key.at(name).get<std::string>();
}

int64_t int_at(const json& key, const std::string& name) {
  if (!key.contains(name) || !key.at(name).is_number_integer())
    throw Error("bad_results", "key has no integer \"" + name + "\"");
  return key.at(name).get<int64_t>();
}

// A named axis: its key object entry is its value's name; a file entry and each item of the
// flag's comma list are one name each (rows that take "all" say so themselves). A key read
// from a file written before the axis existed has no entry: it ran at the value ids omit.
Axis named(std::string name, std::function<std::string(const ConfigKey&)> get,
           std::function<void(ConfigKey&, const std::string&)> set) {
  Axis a;
  a.name = name;
  a.get = std::move(get);
  a.set = std::move(set);
  a.from_file = [set = a.set](const std::string& v) {
    ConfigKey k;
    set(k, v);  // throws Error for a name that is not a value
    return std::vector<std::string>{v};
  };
  a.json = [name, get = a.get](const ConfigKey& k, nlohmann::ordered_json& j) { j[name] = get(k); };
  return a;
}

// The flag's comma list, each item through the file's reader.
void flag_items(Axis& a, std::string flag) {
  a.flag = flag;
  a.from_flag = [flag, from_file = a.from_file](const std::string& v) {
    std::vector<std::string> out;
    for (const auto& item : split_list(v, flag))
      for (auto& n : from_file(item)) out.push_back(std::move(n));
    return out;
  };
}

// The key object's entry (or its absence, for a labelled axis) read back through `set`.
void read_named(Axis& a) {
  a.read = [name = a.name, omitted = a.omitted, set = a.set](const json& key, ConfigKey& k) {
    set(k, !omitted.empty() && !key.contains(name) ? omitted : string_at(key, name));
  };
}

Axis layout_axis() {
  Axis a;
  a.name = "layout";
  a.get = [](const ConfigKey& k) { return k.layout; };
  a.json = [](const ConfigKey& k, nlohmann::ordered_json& j) {
    j["layout"] = k.layout;
    j["world"] = k.world;  // in the key only: the layout's name implies it
  };
  a.read = [](const json& key, ConfigKey& k) {
    k.layout = string_at(key, "layout");
    k.world = int(int_at(key, "world"));
  };
  return a;
}

Axis shape_axis() {
  Axis a;
  a.name = "shape";
  a.get = [](const ConfigKey& k) { return shape_id(k.shape); };
  a.json = [](const ConfigKey& k, nlohmann::ordered_json& j) {
    j["b"] = k.shape.b;
    j["s"] = k.shape.s;
    j["h"] = k.shape.h;
  };
  a.read = [](const json& key, ConfigKey& k) {
    k.shape.b = int_at(key, "b");
    k.shape.s = int_at(key, "s");
    k.shape.h = int_at(key, "h");
  };
  return a;
}

Axis mem_axis() {
  Axis a = named("mem", [](const ConfigKey& k) { return std::string(mem_order_name(k.shape.mem)); },
                 [](ConfigKey& k, const std::string& v) { k.shape.mem = parse_mem_order(v); });
  a.file_key = "mems";
  a.file_alias = "memory_layouts";  // the key's older spelling
  flag_items(a, "--mem");
  a.usage = "bsh,sbh";
  a.help = "memory orders (default both)";
  a.counted_as = "memory orders";
  a.file_default = {"bsh"};
  a.flag_default = {"bsh", "sbh"};
  return a;
}

Axis dtype_axis() {
  Axis a = named("dtype", [](const ConfigKey& k) { return std::string(dtype_name(k.shape.dtype)); },
                 [](ConfigKey& k, const std::string& v) { k.shape.dtype = parse_dtype(v); });
  a.file_key = "dtypes";
  flag_items(a, "--dtypes");
  a.usage = "bf16,fp16,fp32";
  a.help = "element types (default bf16)";
  a.counted_as = "dtypes";
  a.file_default = a.flag_default = {"bf16"};
  return a;
}

// Strategies by registered name; "all" is every registered strategy.
Axis strategy_axis() {
  Axis a = named("strategy", [](const ConfigKey& k) { return k.strategy; },
                 [](ConfigKey& k, const std::string& v) { k.strategy = v; });
  a.file_key = "strategies";
  a.from_file = [](const std::string& v) {
    try {
      return expand_strategies({v}, "");
    } catch (const Error& e) {
      throw Error(e.rule(), "unknown strategy '" + v + "' (a registered name, or all)");
    }
  };
  a.flag = "--strategies";
  a.from_flag = [](const std::string& v) { return expand_strategies(split_list(v, "--strategies"), "--strategies"); };
  a.usage = "all|NAME,..";
  a.help = "all, the default: every registered strategy (listed below)";
  a.counted_as = "strategies";
  a.file_default = {"reference", "fused"};
  a.flag_default = strategy_names();
  return a;
}

std::vector<std::string> nccl_path_names(const std::string& v) {
  std::vector<std::string> out;
  for (NcclPath p : parse_nccl_paths(v)) out.push_back(nccl_path_name(p));
  return out;
}

Axis nccl_path_axis() {
  Axis a = named("nccl_path", [](const ConfigKey& k) { return std::string(nccl_path_name(k.path)); },
                 [](ConfigKey& k, const std::string& v) { k.path = parse_nccl_paths(v).at(0); });
  a.id_label = "path";
  a.omitted = "default";
  a.file_key = "nccl_paths";
  a.from_file = nccl_path_names;  // "all": every path
  a.flag = "--nccl-path";
  a.from_flag = nccl_path_names;  // the whole list: parse_nccl_paths keeps each path once
  std::string names;
  for (const auto& r : kNcclPaths) names += (names.empty() ? "" : "|") + std::string(r.name);
  a.usage = names + "[,..]|all";
  a.help = "NCCL's buffer/CTA paths (nccl backend)";
  a.counted_as = "NCCL paths";
  a.file_default = a.flag_default = {"default"};
  a.run = [](const ConfigKey& k, RunOptions& ro) { ro.nccl_path = k.path; };
  return a;
}

// A run-wide setting: one value per run, from its own flag (driver/options.cpp, which checks
// the settings' combinations), in the id as "/<name>=<value>" only where not `omitted`.
Axis run_setting(std::string name, std::string omitted, std::function<std::string(const ConfigKey&)> get,
                 std::function<void(ConfigKey&, const std::string&)> set) {
  Axis a = named(name, std::move(get), std::move(set));
  a.id_label = name;
  a.omitted = omitted;
  a.file_default = {omitted};
  return a;
}

Axis contention_axis() {
  return run_setting(
      "contention", "none", [](const ConfigKey& k) { return std::string(contention_name(k.contention)); },
      [](ConfigKey& k, const std::string& v) { k.contention = parse_contentions(v).at(0); });
}

Axis mode_axis() {
  Axis a = run_setting(
      "mode", "timed", [](const ConfigKey& k) { return std::string(run_mode_name(k.mode)); },
      [](ConfigKey& k, const std::string& v) { k.mode = parse_run_mode(v); });
  a.run = [](const ConfigKey& k, RunOptions& ro) { ro.graph = k.mode == RunMode::graph; };
  return a;
}

Axis cadence_axis() {
  Axis a = run_setting(
      "cadence", "isolated", [](const ConfigKey& k) { return std::string(cadence_name(k.cadence)); },
      [](ConfigKey& k, const std::string& v) { k.cadence = parse_cadence(v); });
  a.run = [](const ConfigKey& k, RunOptions& ro) { ro.cadence = k.cadence; };
  return a;
}

}  // namespace

const std::vector<Axis>& axis_table() {
  static const std::vector<Axis> rows = [] {
    std::vector<Axis> r{layout_axis(),    mem_axis(),        dtype_axis(), shape_axis(),   strategy_axis(),
                        nccl_path_axis(), contention_axis(), mode_axis(),  cadence_axis()};
    for (Axis& a : r)
      if (!a.read) read_named(a);
    return r;
  }();
  return rows;
}

// Ids and key objects were written before this table, in two orders that files and readers
// keep: the table is in the id's order; the key object names the axes it had then in its own
// order, and every axis added since after them, in table order.
const std::vector<const Axis*>& key_object_order() {
  static const std::vector<const Axis*> order = [] {
    std::vector<const Axis*> out;
    for (const char* name : {"layout", "mem", "dtype", "shape", "strategy", "mode", "cadence", "nccl_path", "contention"})
      for (const Axis& a : axis_table())
        if (a.name == name) out.push_back(&a);
    for (const Axis& a : axis_table())
      if (std::find(out.begin(), out.end(), &a) == out.end()) out.push_back(&a);
    return out;
  }();
  return order;
}

const Axis& axis_named(const std::string& name) {
  for (const Axis& a : axis_table())
    if (a.name == name) return a;
  throw std::logic_error("no axis named " + name);
}

const Axis* axis_with_flag(const std::string& flag) {
  for (const Axis& a : axis_table())
    if (!a.flag.empty() && a.flag == flag) return &a;
  return nullptr;
}

void apply_axes(const ConfigKey& k, RunOptions& ro) {
  for (const Axis& a : axis_table())
    if (a.run) a.run(k, ro);
}

}  // namespace bb
