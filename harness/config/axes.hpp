#pragma once
// The axis table: one row per axis of a config's key (config/config_key.hpp). A row says where
// the axis's values come from (a flag, a sweep file key, their defaults), how each value is
// named and parsed, what it adds to the id and to the key object, and what it asks of the round
// trip (RunOptions). The sweep's expansion, count and dedupe (config/sweep.cpp), the sweep file
// reader (config/sweep_file.cpp), the flags (driver/options.cpp), ConfigKey's id() and json(),
// the results reader (results/records_read.cpp) and the run options (driver/sweep_run.cpp) all
// walk these rows, so an axis is its field in ConfigKey and its row (docs/architecture.md,
// "Adding an axis").
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_key.hpp"

namespace bb {

struct RunOptions;  // run/round_trip.hpp

struct Axis {
  std::string name;  // its name in the key object and in SweepAxes::named ("nccl_path")
  // In the id: "/<value>" when `omitted` is empty, else "/<id_label>=<value>" unless the value
  // is `omitted` (so default ids stay what they always were).
  std::string id_label, omitted;
  // Where a sweep takes its values ("" where it does not): the sweep file's key and an older
  // spelling of it, the flag, and the flag's usage: its values' syntax and what it does.
  std::string file_key, file_alias, flag, usage, help;
  // How too_many_configs counts its values ("NCCL paths"); "" for a setting with one value per run.
  std::string counted_as;
  std::vector<std::string> file_default, flag_default;  // value names
  // A named axis's values are names, checked when read: a flag's value, or one entry of the
  // sweep file's array, gives the names it stands for ("all": several) or throws Error.
  std::function<std::vector<std::string>(const std::string& value)> from_flag, from_file;
  // The key's value by name, and back. Empty for layout and shape: their values are the sweep's
  // own typed lists (SweepAxes::layouts, shapes), read and expanded there.
  std::function<std::string(const ConfigKey&)> get;
  std::function<void(ConfigKey&, const std::string&)> set;
  // Its entries in the key object, and back from them (Error("bad_results") when they are bad).
  std::function<void(const ConfigKey&, nlohmann::ordered_json&)> json;
  std::function<void(const nlohmann::json&, ConfigKey&)> read;
  // What it asks of the round trip; empty when nothing (or, for contention, what only the
  // driver can make: the GEMM load on the rank's device).
  std::function<void(const ConfigKey&, RunOptions&)> run;

  bool named() const { return bool(set); }
};

// Every axis, in the order ids name them.
const std::vector<Axis>& axis_table();
// The rows in the key object's order (the order the results JSON has always written).
const std::vector<const Axis*>& key_object_order();
// The row of that name (a programming error, thrown as std::logic_error, if none).
const Axis& axis_named(const std::string& name);
// The axis a flag sets, or nullptr.
const Axis* axis_with_flag(const std::string& flag);
// The run options every axis of `k` asks for (Axis::run).
void apply_axes(const ConfigKey& k, RunOptions& ro);

}  // namespace bb
