#include "results/records_read.hpp"

namespace bb {

using json = nlohmann::json;

namespace {

// A field's value, or Error("bad_results") naming it.
template <class T>
T field(const json& j, const char* name, const std::string& where) {
  if (!j.is_object() || !j.contains(name)) throw Error("bad_results", where + " has no \"" + name + "\"");
  try {
    return j.at(name).get<T>();
  } catch (const json::exception&) {
    throw Error("bad_results", where + ": \"" + name + "\" is not of the expected type");
  }
}

// A stats object's samples (an older file may lack a host series: none then).
std::vector<double> samples(const json& c, const char* name, const std::string& where) {
  if (!c.contains(name)) return {};
  return field<std::vector<double>>(c.at(name), "samples_ms", where + " \"" + name + "\"");
}

Phase phase_named(const std::string& name, const std::string& where) {
  Phase p;
  if (find_phase(name, &p)) return p;
  throw Error("bad_results", where + ": unknown phase '" + name + "'");
}

// A floor as written: its basis, and its ms (null: none).
Floor floor_from(const json& j, const std::string& where) {
  Floor f;
  f.basis = field<std::string>(j, "floor_basis", where);
  f.known = j.contains("floor_ms") && j.at("floor_ms").is_number();
  if (f.known) f.ms = j.at("floor_ms").get<double>();
  return f;
}

PhaseRecord phase_from(const json& p, const std::string& where) {
  PhaseRecord ph;
  const std::string at = where + " phase";
  ph.phase = phase_named(field<std::string>(p, "name", at), at);
  ph.kind = field<std::string>(p, "kind", at);
  ph.op = field<std::string>(p, "op", at);
  ph.group_size = field<int>(p, "group_size", at);
  ph.bytes_per_rank = field<int64_t>(p, "bytes_per_rank", at);
  ph.padding_bytes_per_rank = p.value("padding_bytes_per_rank", int64_t(0));
  ph.floor = floor_from(p, at);
  ph.samples_ms = field<std::vector<double>>(p, "samples_ms", at);
  return ph;
}

ByteModelRecord byte_model_from(const json& m, const std::string& where) {
  ByteModelRecord b;
  const std::string at = where + " byte_model";
  b.comm = field<int64_t>(m, "comm_bytes_per_rank", at);
  b.padding = field<int64_t>(m, "padding_bytes_per_rank", at);
  b.min = field<int64_t>(m, "min_bytes_per_rank", at);
  for (const auto& p : m.value("phases", json::array()))
    b.phases.push_back({phase_named(field<std::string>(p, "name", at), at), field<std::string>(p, "op", at),
                        field<int64_t>(p, "bytes_per_rank", at), field<int64_t>(p, "padding_bytes_per_rank", at)});
  return b;
}

}  // namespace

ConfigRecord config_record_from_json(const json& c) {
  ConfigRecord r;
  r.id = field<std::string>(c, "id", "a config");
  const std::string at = "config '" + r.id + "'";
  if (!c.contains("key") || !c.at("key").is_object())
    throw Error("bad_results", at + " has no \"key\" object (written before schema version 4): "
                                    "scripts/summary.py upgrades such a file first");
  r.key = ConfigKey::from_json(c.at("key"));  // the axis table reads it (config/axes.hpp)
  r.backend = c.value("backend", std::string());
  r.total_ms = samples(c, "total", at);
  if (!c.contains("total")) throw Error("bad_results", at + " has no \"total\"");
  r.launch_skew_ms = samples(c, "launch_skew", at);
  r.launch_ms = samples(c, "launch", at);
  r.repetition_sizes = {r.total_ms.size()};
  r.gate_expiries = c.value("gate_expiries", 0);  // the summary warns of them (driver/summary.hpp)
  for (const auto& p : c.value("phases", json::array())) r.phases.push_back(phase_from(p, at));
  // The round trip's floor as written: where it is the shared-memory one, that is the fact.
  if (c.value("floor_basis", std::string()) == "shared_memcpy") r.shared_floor_ms = field<double>(c, "floor_ms", at);
  r.byte_model = byte_model_from(field<json>(c, "byte_model", at), at);
  const json check = field<json>(c, "check", at);
  r.check.mismatches = field<int64_t>(check, "mismatches", at + " check");
  r.check.ok = c.value("correct", r.check.mismatches == 0);
  return r;
}

Refusal refusal_from_json(const json& r) {
  const std::string id = field<std::string>(r, "id", "a failure or skip");
  const std::string at = "failure or skip '" + id + "'";
  return {id, r.value("key", json::object()), field<std::string>(r, "rule", at),
          r.value("error", r.value("reason", std::string()))};
}

}  // namespace bb
