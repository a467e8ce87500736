#include "config/sweep.hpp"

// The sweep file reader (docs/sweep-file.md): every axis read and every bad entry collected,
// with its path in the file, before anything throws.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/checked.hpp"
#include "plan/grid.hpp"
#include "plan/layout_arg.hpp"

namespace bb {

namespace {

using nlohmann::json;

// An integer JSON value in [lo, hi]. Never wraps: a value past hi (or past 64 bits, which the
// parser stores as unsigned or float) is named as too_large. Returns false and says why.
bool json_int(const json& v, int64_t lo, int64_t hi, int64_t* out, std::string* why) {
  const bool huge = (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) ||
                    (v.is_number_float() && v.get<double>() > 9.2e18);
  if (huge || (v.is_number_integer() && v.get<int64_t>() > hi)) {
    *why = "too_large: " + v.dump() + " is above " + std::to_string(hi);
    return false;
  }
  if (!v.is_number_integer() || v.get<int64_t>() < lo) {
    *why = "must be an integer >= " + std::to_string(lo) + " (got " + v.dump() + ")";
    return false;
  }
  *out = v.get<int64_t>();
  return true;
}

// A sweep file is validated whole: every bad entry is collected with its path in the file, in
// the order the file is read, and thrown together at the end, so one run names them all.
class SweepErrors {
 public:
  explicit SweepErrors(std::string path) : path_(std::move(path)) {}
  void add(const std::string& where, const std::string& msg) { errs_.push_back(path_ + ": " + where + ": " + msg); }
  void throw_if_any() const {
    if (errs_.empty()) return;
    std::string msg = std::to_string(errs_.size()) + " bad entr" + (errs_.size() == 1 ? "y" : "ies") + ":";
    for (const auto& e : errs_) msg += "\n  " + e;
    throw Error("bad_sweep_file", msg);
  }

 private:
  std::string path_;
  std::vector<std::string> errs_;
};

// The file's JSON object. An unreadable file, bad JSON or a top level that is not an object
// stops at once: there are no entries to report paths for.
// JSON parsers keep the last of two equal keys in one object: the file would run something
// else than one of its lines says. A SAX pass (no values built) reports every repeat at its
// path ([] for any array element). nlohmann's callback parser could do it while building the
// document, but it rescans a parent array at every object's end: quadratic in the entries.
class DuplicateKeys : public nlohmann::json_sax<json> {
 public:
  explicit DuplicateKeys(SweepErrors& bad) : bad_(bad) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    key_ = k;
    if (!frames_.back().keys.insert(k).second)
      bad_.add(frames_.back().at + "." + k, "duplicate_key: given twice in one object (a JSON reader keeps only the last): give it once");
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  struct Frame {
    bool object;
    std::string at;
    std::unordered_set<std::string> keys;
  };
  bool open(bool object) {
    const std::string at = frames_.empty() ? "$" : frames_.back().at + (frames_.back().object ? "." + key_ : "[]");
    frames_.push_back({object, at, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  SweepErrors& bad_;
  std::vector<Frame> frames_;
  std::string key_;
};

json read_sweep_json(const std::string& path, SweepErrors& bad) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("bad_sweep_file", path + ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw Error("bad_sweep_file", path + ": not JSON: " + e.what());
  }
  if (!j.is_object()) throw Error("bad_sweep_file", path + ": $: the top level must be an object");
  DuplicateKeys dup(bad);
  json::sax_parse(text, &dup);
  return j;
}

// The top-level keys: world, layouts, shapes, and each named axis's key (and an older spelling
// of it; both in one file is a duplicate key, reported, and the newer one is read).
void check_top_keys(const json& j, SweepErrors& bad) {
  std::vector<std::string> keys{"world", "layouts", "shapes"};
  for (const Axis& a : axis_table()) {
    if (!a.file_key.empty()) keys.push_back(a.file_key);
    if (a.file_alias.empty()) continue;
    keys.push_back(a.file_alias);
    if (j.contains(a.file_key) && j.contains(a.file_alias))
      bad.add("$." + a.file_alias, "duplicate_key: \"" + a.file_alias + "\" is the older spelling of \"" + a.file_key +
                                       "\"; give one of them");
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) bad.add("$." + it.key(), "unknown key");
}

// The file's world (8 when it has none, or a bad one); axes.world records only a valid given one.
int read_world(const json& j, SweepAxes& a, SweepErrors& bad) {
  if (!j.contains("world")) return 8;
  int64_t w = 0;
  std::string why;
  if (!json_int(j["world"], 1, kMaxRanks, &w, &why)) {
    bad.add("$.world", why);
    return 8;
  }
  a.world = int(w);
  return a.world;
}

// A required non-empty array: `entry(e, path)` for each element, else one error at the key.
template <class Entry>
void for_each_entry(const json& j, const char* key, const std::string& must, SweepErrors& bad, Entry entry) {
  const std::string at = std::string("$.") + key;
  if (!j.contains(key) || !j[key].is_array() || j[key].empty()) {
    bad.add(at, must);
    return;
  }
  for (size_t i = 0; i < j[key].size(); ++i) entry(j[key][i], at + "[" + std::to_string(i) + "]");
}

// A layout entry's src or dest sizes, each range-checked; false when any is bad (all reported).
bool read_sizes(const json& e, const char* side, const std::string& at, std::map<std::string, int>& out,
                SweepErrors& bad) {
  bool ok = true;
  for (auto it = e[side].begin(); it != e[side].end(); ++it) {
    int64_t v = 0;
    std::string why;
    if (json_int(*it, 1, kMaxRanks, &v, &why)) {
      out[it.key()] = int(v);
    } else {
      bad.add(at + "." + side + "." + it.key(), why);
      ok = false;
    }
  }
  return ok;
}

// A layout object ({"name", "src", "dest", "src_order", "dest_order", "offset"}), validated as a
// plan (semantics §3 rule ids); false when it is bad (reported). Throws a JSON type error for a
// value of the wrong type, which the caller reports as a malformed entry.
bool read_layout_object(const json& e, const std::string& at, int world, LayoutCase& l, SweepErrors& bad) {
  static const std::set<std::string> keys{"name", "src", "dest", "src_order", "dest_order", "offset"};
  for (auto it = e.begin(); it != e.end(); ++it)
    if (!keys.count(it.key())) bad.add(at + "." + it.key(), "unknown key");
  if (!e.contains("src") || !e["src"].is_object()) {
    bad.add(at + ".src", "must be an object such as {\"tp\": 2, \"dp\": 4}");
    return false;
  }
  if (!e.contains("dest") || !e["dest"].is_object()) {
    bad.add(at + ".dest", "must be an object such as {\"tp\": 2, \"cp\": 2, \"dp\": 2}");
    return false;
  }
  l.world = world;
  const bool src_ok = read_sizes(e, "src", at, l.src, bad);  // both sides reported, never short-circuited
  const bool dest_ok = read_sizes(e, "dest", at, l.dest, bad);
  bool ok = src_ok && dest_ok;
  if (e.contains("src_order")) l.src_order = e["src_order"].get<std::vector<std::string>>();
  if (e.contains("dest_order")) l.dest_order = e["dest_order"].get<std::vector<std::string>>();
  if (e.contains("offset")) {
    int64_t v = 0;
    std::string why;
    if (!json_int(e["offset"], 0, kMaxRanks, &v, &why)) {
      bad.add(at + ".offset", why);
      ok = false;
    }
    l.offset = int(v);
  }
  if (!ok) return false;
  l.name = e.contains("name") ? e["name"].get<std::string>() : layout_label(l);
  if (l.name.empty() || l.name.find('/') != std::string::npos) {
    // A config id is layout/mem/dtype/shape/strategy: an empty name or one with '/' makes ids
    // that read as another layout's, or that no tool can split back.
    bad.add(at + ".name", "bad_layout_name: '" + l.name + "' must be non-empty and without '/' (it starts every config id)");
    return false;
  }
  l.plan();  // validates (semantics §3 rule ids): thrown, reported by the caller
  return true;
}

// One entry of "layouts": a string is anything --layouts takes; an object is one layout.
void read_layout_entry(const json& e, const std::string& at, int world, std::vector<LayoutCase>& out,
                       SweepErrors& bad) {
  if (e.is_string()) {
    try {
      const auto ls = layouts_from_arg(e.get<std::string>(), world);
      out.insert(out.end(), ls.begin(), ls.end());
    } catch (const Error& err) {
      bad.add(at, err.what());
    }
    return;
  }
  if (!e.is_object()) {
    bad.add(at, "must be an object or a layout name");
    return;
  }
  try {
    LayoutCase l;
    if (read_layout_object(e, at, world, l, bad)) out.push_back(l);
  } catch (const Error& err) {
    bad.add(at, err.rule() + ": " + err.what());
  } catch (const std::exception& err) {
    bad.add(at, std::string("malformed entry: ") + err.what());
  }
}

// One entry of "shapes": an object of exactly b, s and h, each an integer >= 1, whose bytes fit
// in 64 bits. Unknown keys are all reported; of b, s and h only the first bad one.
void read_shape_entry(const json& e, const std::string& at, std::vector<std::array<int64_t, 3>>& out,
                      SweepErrors& bad) {
  if (!e.is_object()) {
    bad.add(at, "must be an object {\"b\":..,\"s\":..,\"h\":..}");
    return;
  }
  bool ok = true;
  for (auto it = e.begin(); it != e.end(); ++it)
    if (it.key() != "b" && it.key() != "s" && it.key() != "h") {
      bad.add(at + "." + it.key(), "unknown key (a shape has b, s and h)");
      ok = false;
    }
  if (!ok) return;
  std::array<int64_t, 3> s{};
  for (size_t k = 0; k < 3; ++k) {
    const std::string d(1, "bsh"[k]);
    std::string why = "must be an integer >= 1";
    if (!e.contains(d) || !json_int(e[d], 1, INT64_MAX, &s[k], &why)) {
      bad.add(at + "." + d, why);
      return;
    }
  }
  try {
    check_shape_fits(s, "shape");
    out.push_back(s);
  } catch (const Error& err) {
    bad.add(at, err.rule() + ": " + err.what());
  }
}

// An optional axis of names: `def` when the key is absent, else a non-empty array of strings
// (each other entry reported, and left out).
std::vector<std::string> read_names(const json& j, const std::string& key, std::vector<std::string> def,
                                    SweepErrors& bad) {
  if (!j.contains(key)) return def;
  if (!j[key].is_array() || j[key].empty()) {
    bad.add("$." + key, "must be a non-empty array of strings");
    return {};
  }
  std::vector<std::string> v;
  for (size_t i = 0; i < j[key].size(); ++i) {
    if (!j[key][i].is_string()) bad.add("$." + key + "[" + std::to_string(i) + "]", "must be a string");
    else v.push_back(j[key][i].get<std::string>());
  }
  return v;
}

// A named axis (config/axes.hpp), under whichever spelling of its key the file used (errors
// name that key): each entry through the axis's reader, which may stand for several values
// ("all") or throw Error, reported at the entry's index.
std::vector<std::string> read_axis(const json& j, const Axis& axis, SweepErrors& bad) {
  const std::string key =
      !j.contains(axis.file_key) && !axis.file_alias.empty() && j.contains(axis.file_alias) ? axis.file_alias : axis.file_key;
  const auto names = read_names(j, key, axis.file_default, bad);
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size(); ++i) {
    try {
      for (auto& v : axis.from_file(names[i])) out.push_back(std::move(v));
    } catch (const Error& e) {
      bad.add("$." + key + "[" + std::to_string(i) + "]", e.what());
    }
  }
  return out;
}

// Repeated layout entries, dropped in the one pass that reads them (a file may list an entry a
// million times: each repeat costs a hash lookup, not a plan), with progress on a long file.
class LayoutEntries {
 public:
  LayoutEntries(std::string path, size_t total) : path_(std::move(path)), total_(total) {}
  // Whether `e` is the first mention of its text; counts it either way.
  bool first(const json& e) {
    ++seen_;
    if (total_ >= kProgressFrom && (seen_ % 4096) == 0) say_progress();
    const auto [it, fresh] = count_.try_emplace(e.is_string() ? e.get<std::string>() : e.dump(), 0);
    if (fresh) order_.push_back(&it->first);
    return ++it->second == 1;
  }
  void notes(std::vector<std::string>& out) const {
    if (total_ >= kProgressFrom)
      std::fprintf(stderr, "note: %s: %zu layout entries read, %zu distinct\n", path_.c_str(), seen_, order_.size());
    for (const std::string* text : order_)
      if (const int n = count_.at(*text); n > 1)
        out.push_back("layouts lists " + ((*text)[0] == '{' ? *text : "'" + *text + "'") + " " + std::to_string(n) +
                      " times; it runs once");
  }

 private:
  static constexpr size_t kProgressFrom = 100000;
  void say_progress() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    std::fprintf(stderr, "note: %s: %zu of %zu layout entries read (%zu distinct)\n", path_.c_str(), seen_, total_,
                 order_.size());
  }
  std::string path_;
  size_t total_, seen_ = 0;
  std::unordered_map<std::string, int> count_;
  std::vector<const std::string*> order_;  // first mentions, in file order (keys of count_ stay put)
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

// Every axis is read, and every error collected, before anything throws (docs/sweep-file.md).
SweepAxes load_sweep_file(const std::string& path) {
  SweepErrors bad(path);
  const json j = read_sweep_json(path, bad);
  SweepAxes a;
  check_top_keys(j, bad);
  const int world = read_world(j, a, bad);
  LayoutEntries entries(path, j.contains("layouts") && j["layouts"].is_array() ? j["layouts"].size() : 0);
  for_each_entry(j, "layouts", "must be a non-empty array", bad, [&](const json& e, const std::string& at) {
    if (entries.first(e)) read_layout_entry(e, at, world, a.layouts, bad);
  });
  entries.notes(a.notes);
  for_each_entry(j, "shapes", "must be a non-empty array of {\"b\":..,\"s\":..,\"h\":..}", bad,
                 [&](const json& e, const std::string& at) { read_shape_entry(e, at, a.shapes, bad); });
  for (const Axis& axis : axis_table())
    if (!axis.file_key.empty()) a.named[axis.name] = read_axis(j, axis, bad);
  bad.throw_if_any();
  return a;
}

}  // namespace bb
