#include "results/sweep.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/checked.hpp"
#include "plan/grid.hpp"
#include "bridge/strategy.hpp"
#include "plan/layout_arg.hpp"

namespace bb {

Plan LayoutCase::plan() const {
  return make_plan(world, make_grid(src, src_order, offset), make_grid(dest, dest_order, offset));
}

std::vector<LayoutCase> seed_layouts() {
  return {
      {"seed_fan_in_cp2", 8, 0, {{"tp", 2}, {"dp", 4}}, {{"tp", 2}, {"cp", 2}, {"dp", 2}}},
      {"seed_fan_out_cp2", 8, 0, {{"tp", 4}, {"dp", 2}}, {{"tp", 1}, {"cp", 2}, {"dp", 4}}},
      {"seed_fan_in_cp1", 8, 0, {{"tp", 2}, {"dp", 4}}, {{"tp", 4}, {"dp", 2}}},
  };
}

std::string layout_label(const LayoutCase& l) {
  auto part = [](const std::map<std::string, int>& m) {
    std::string s;
    for (const char* d : {"tp", "cp", "pp", "dp"}) {
      auto it = m.find(d);
      int v = it == m.end() ? 1 : it->second;
      if (v > 1 || std::string(d) == "tp" || std::string(d) == "dp") s += d + std::to_string(v);
    }
    return s;
  };
  return part(l.src) + "-" + part(l.dest);
}

std::vector<LayoutCase> all_layouts(int world) {
  std::vector<LayoutCase> out;
  for (int stp = 1; stp <= world; ++stp) {
    if (world % stp) continue;
    const int sdp = world / stp;
    for (int dtp = 1; dtp <= world; ++dtp)
      for (int dcp = 1; dtp * dcp <= world; ++dcp) {
        if (world % (dtp * dcp)) continue;
        const int ddp = world / (dtp * dcp);
        if (sdp % ddp && ddp % sdp) continue;
        LayoutCase l;
        l.world = world;
        l.src = {{"tp", stp}, {"dp", sdp}};
        l.dest = {{"tp", dtp}, {"cp", dcp}, {"dp", ddp}};
        l.name = layout_label(l);
        out.push_back(l);
      }
  }
  return out;
}

std::string SweepPoint::id() const {
  std::ostringstream o;
  o << layout.name << "/" << mem_order_name(shape.mem) << "/" << dtype_name(shape.dtype) << "/b" << shape.b
    << ".s" << shape.s << ".h" << shape.h << "/" << strategy;
  return o.str();
}

std::vector<SweepPoint> expand(const SweepAxes& a) {
  std::vector<SweepPoint> v;
  for (const auto& l : a.layouts)
    for (const auto& sh : a.shapes)
      for (auto mem : a.mems)
        for (auto dt : a.dtypes)
          for (const auto& st : a.strategies) {
            SweepPoint p;
            p.layout = l;
            p.shape.mem = mem;
            p.shape.dtype = dt;
            p.shape.b = sh[0];
            p.shape.s = sh[1];
            p.shape.h = sh[2];
            p.strategy = st;
            v.push_back(p);
          }
  return v;
}

int64_t count_configs(const SweepAxes& a) {
  int64_t n = int64_t(a.layouts.size());
  for (size_t k : {a.shapes.size(), a.mems.size(), a.dtypes.size(), a.strategies.size()})
    n = checked_mul(n, int64_t(k), "number of configs");
  return n;
}

namespace {

std::string layout_key(const LayoutCase& l) {
  std::ostringstream o;
  o << l.world << "@" << l.offset << ":";
  for (const auto& [k, v] : l.src) o << k << v << ",";
  o << "/";
  for (const auto& [k, v] : l.dest) o << k << v << ",";
  for (const auto& d : l.src_order) o << d;
  o << "/";
  for (const auto& d : l.dest_order) o << d;
  return o.str();
}

template <class T, class Key, class Name>
void dedupe(std::vector<T>& v, const char* axis, Key key, Name name, std::vector<std::string>* notes) {
  std::map<std::string, int> seen;
  std::vector<T> kept;
  for (const auto& x : v) {
    const std::string k = key(x);
    if (seen.count(k)) {
      ++seen[k];
      continue;
    }
    seen[k] = 1;
    kept.push_back(x);
  }
  for (const auto& x : kept) {
    const int n = seen[key(x)];
    if (n > 1)
      notes->push_back(std::string(axis) + " lists " + name(x) + " " + std::to_string(n) + " times; it runs once");
  }
  v = std::move(kept);
}

}  // namespace

void dedupe_axes(SweepAxes& a, std::vector<std::string>* notes) {
  std::map<std::string, std::string> by_name;
  for (const auto& l : a.layouts) {
    auto [it, fresh] = by_name.emplace(l.name, layout_key(l));
    if (!fresh && it->second != layout_key(l))
      throw Error("duplicate_layout_name", "two different layouts are both named '" + l.name +
                                               "' (their results would share ids): rename one");
  }
  dedupe(a.layouts, "layouts", layout_key, [](const LayoutCase& l) { return "'" + l.name + "'"; }, notes);
  auto shape_str = [](const std::array<int64_t, 3>& s) {
    return std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
  };
  dedupe(a.shapes, "shapes", shape_str, shape_str, notes);
  auto mem_str = [](MemOrder m) { return std::string(mem_order_name(m)); };
  dedupe(a.mems, "memory layouts", mem_str, mem_str, notes);
  auto dt_str = [](DType d) { return std::string(dtype_name(d)); };
  dedupe(a.dtypes, "dtypes", dt_str, dt_str, notes);
  auto id = [](const std::string& x) { return x; };
  dedupe(a.strategies, "strategies", id, id, notes);
}

void check_shape_fits(const std::array<int64_t, 3>& s, const std::string& what) {
  // The widest dtype is 4 bytes, and fan-in multiplies the batch by at most kMaxRanks: both
  // must keep every byte count of the config in 64 bits.
  const std::string name = what + " " + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
  int64_t n = checked_mul(s[0], s[1], name + ": b x s");
  n = checked_mul(n, s[2], name + ": b x s x h");
  checked_mul(n, 4, name + ": bytes per rank (b x s x h x 4)");
}

std::vector<std::array<int64_t, 3>> parse_shapes(const std::string& arg) {
  std::vector<std::array<int64_t, 3>> out;
  std::stringstream ss(arg);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::array<int64_t, 3> s{};
    const size_t x1 = item.find('x'), x2 = x1 == std::string::npos ? x1 : item.find('x', x1 + 1);
    if (x1 == std::string::npos || x2 == std::string::npos || item.find('x', x2 + 1) != std::string::npos)
      throw Error("bad_flag", "shape '" + item + "' is not BxSxH with positive integers (e.g. 2x4096x4096)");
    const std::string parts[3] = {item.substr(0, x1), item.substr(x1 + 1, x2 - x1 - 1), item.substr(x2 + 1)};
    for (int k = 0; k < 3; ++k) {
      try {
        s[size_t(k)] = parse_int64(parts[k], 1, INT64_MAX, std::string("shape '") + item + "': " + "bsh"[k]);
      } catch (const Error& e) {
        if (e.rule() != "bad_flag") throw;
        throw Error("bad_flag", "shape '" + item + "' is not BxSxH with positive integers (e.g. 2x4096x4096)");
      }
    }
    check_shape_fits(s, "shape");
    out.push_back(s);
  }
  if (out.empty()) throw Error("bad_flag", "no shapes given");
  return out;
}

std::vector<LayoutCase> layouts_from_arg(const std::string& arg, int world) {
  if (arg.size() > 5 && arg.substr(arg.size() - 5) == ".json") return load_sweep_file(arg).layouts;
  if (arg == "seeds") return seed_layouts();
  if (arg == "all") return all_layouts(world);
  if (arg.empty()) throw Error("bad_flag", "--layouts is empty (use seeds, all, names or a sweep .json file)");
  std::vector<LayoutCase> out;
  std::stringstream ss(arg);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name.empty()) throw Error("bad_flag", "empty layout name in '" + arg + "'");
    bool found = false;
    for (const auto& l : seed_layouts())
      if (l.name == name) {
        out.push_back(l);
        found = true;
      }
    for (const auto& l : all_layouts(world))
      if (!found && l.name == name) {
        out.push_back(l);
        found = true;
      }
    if (!found)
      throw Error("bad_flag", "unknown layout '" + name + "' (use seeds, all, a seed name, a label such as "
                              "tp2dp4-tp2cp2dp2, or a sweep .json file)");
  }
  return out;
}

namespace {

// An integer JSON value in [lo, hi]. Never wraps: a value past hi (or past 64 bits, which the
// parser stores as unsigned or float) is named as too_large. Returns false and says why.
bool json_int(const nlohmann::json& v, int64_t lo, int64_t hi, int64_t* out, std::string* why) {
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

}  // namespace

SweepAxes load_sweep_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("bad_sweep_file", path + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw Error("bad_sweep_file", path + ": not JSON: " + e.what());
  }
  std::vector<std::string> errs;
  SweepAxes a;
  a.strategies.clear();
  auto bad = [&](const std::string& where, const std::string& msg) { errs.push_back(path + ": " + where + ": " + msg); };
  if (!j.is_object()) {
    throw Error("bad_sweep_file", path + ": $: the top level must be an object");
  }
  static const std::vector<std::string> keys{"world", "layouts", "shapes", "memory_layouts", "dtypes", "strategies", "nccl_paths"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) bad("$." + it.key(), "unknown key");
  int world = 8;
  if (j.contains("world")) {
    int64_t w = 0;
    std::string why;
    if (!json_int(j["world"], 1, kMaxRanks, &w, &why)) bad("$.world", why);
    else world = int(w), a.world = world;
  }
  if (!j.contains("layouts") || !j["layouts"].is_array() || j["layouts"].empty()) {
    bad("$.layouts", "must be a non-empty array");
  } else {
    for (size_t i = 0; i < j["layouts"].size(); ++i) {
      const auto& e = j["layouts"][i];
      const std::string at = "$.layouts[" + std::to_string(i) + "]";
      if (e.is_string()) {
        try {
          auto ls = layouts_from_arg(e.get<std::string>(), world);
          a.layouts.insert(a.layouts.end(), ls.begin(), ls.end());
        } catch (const Error& err) {
          bad(at, err.what());
        }
        continue;
      }
      if (!e.is_object()) {
        bad(at, "must be an object or a layout name");
        continue;
      }
      LayoutCase l;
      l.world = world;
      try {
        for (auto it = e.begin(); it != e.end(); ++it)
          if (it.key() != "name" && it.key() != "src" && it.key() != "dest" && it.key() != "src_order" &&
              it.key() != "dest_order" && it.key() != "offset")
            bad(at + "." + it.key(), "unknown key");
        if (!e.contains("src") || !e["src"].is_object()) { bad(at + ".src", "must be an object such as {\"tp\": 2, \"dp\": 4}"); continue; }
        if (!e.contains("dest") || !e["dest"].is_object()) { bad(at + ".dest", "must be an object such as {\"tp\": 2, \"cp\": 2, \"dp\": 2}"); continue; }
        bool sizes_ok = true;
        for (const char* side : {"src", "dest"})
          for (auto it = e[side].begin(); it != e[side].end(); ++it) {
            int64_t v = 0;
            std::string why;
            if (!json_int(*it, 1, kMaxRanks, &v, &why)) {
              bad(at + "." + side + "." + it.key(), why);
              sizes_ok = false;
            } else {
              (side[0] == 's' ? l.src : l.dest)[it.key()] = int(v);
            }
          }
        if (e.contains("src_order")) l.src_order = e["src_order"].get<std::vector<std::string>>();
        if (e.contains("dest_order")) l.dest_order = e["dest_order"].get<std::vector<std::string>>();
        if (e.contains("offset")) {
          int64_t v = 0;
          std::string why;
          if (!json_int(e["offset"], 0, kMaxRanks, &v, &why)) {
            bad(at + ".offset", why);
            sizes_ok = false;
          }
          l.offset = int(v);
        }
        if (!sizes_ok) continue;
        l.name = e.contains("name") ? e["name"].get<std::string>() : layout_label(l);
        l.plan();  // validates (semantics §3 rule ids)
        a.layouts.push_back(l);
      } catch (const Error& err) {
        bad(at, err.rule() + ": " + err.what());
      } catch (const std::exception& err) {
        bad(at, std::string("malformed entry: ") + err.what());
      }
    }
  }
  auto str_list = [&](const char* key, std::vector<std::string> def) -> std::vector<std::string> {
    if (!j.contains(key)) return def;
    if (!j[key].is_array() || j[key].empty()) {
      bad(std::string("$.") + key, "must be a non-empty array of strings");
      return {};
    }
    std::vector<std::string> v;
    for (size_t i = 0; i < j[key].size(); ++i) {
      if (!j[key][i].is_string()) bad(std::string("$.") + key + "[" + std::to_string(i) + "]", "must be a string");
      else v.push_back(j[key][i].get<std::string>());
    }
    return v;
  };
  if (!j.contains("shapes") || !j["shapes"].is_array() || j["shapes"].empty()) {
    bad("$.shapes", "must be a non-empty array of {\"b\":..,\"s\":..,\"h\":..}");
  } else {
    for (size_t i = 0; i < j["shapes"].size(); ++i) {
      const auto& e = j["shapes"][i];
      const std::string at = "$.shapes[" + std::to_string(i) + "]";
      std::array<int64_t, 3> s{};
      bool ok = e.is_object();
      if (!ok) bad(at, "must be an object {\"b\":..,\"s\":..,\"h\":..}");
      for (auto it = ok ? e.begin() : e.end(); it != e.end(); ++it)
        if (it.key() != "b" && it.key() != "s" && it.key() != "h") {
          bad(at + "." + it.key(), "unknown key (a shape has b, s and h)");
          ok = false;
        }
      int k = 0;
      for (const char* d : {"b", "s", "h"}) {
        if (!ok) break;
        std::string why = "must be an integer >= 1";
        if (!e.contains(d) || !json_int(e[d], 1, INT64_MAX, &s[size_t(k++)], &why)) {
          bad(at + "." + d, why);
          ok = false;
        }
      }
      if (ok) {
        try {
          check_shape_fits(s, "shape");
          a.shapes.push_back(s);
        } catch (const Error& err) {
          bad(at, err.rule() + ": " + err.what());
        }
      }
    }
  }
  a.mems.clear();
  auto mems = str_list("memory_layouts", {"bsh"});
  for (size_t i = 0; i < mems.size(); ++i) {
    try { a.mems.push_back(parse_mem_order(mems[i])); } catch (const Error& e) { bad("$.memory_layouts[" + std::to_string(i) + "]", e.what()); }
  }
  a.dtypes.clear();
  auto dts = str_list("dtypes", {"bf16"});
  for (size_t i = 0; i < dts.size(); ++i) {
    try { a.dtypes.push_back(parse_dtype(dts[i])); } catch (const Error& e) { bad("$.dtypes[" + std::to_string(i) + "]", e.what()); }
  }
  auto sts = str_list("strategies", {"reference", "fused"});
  if (sts == std::vector<std::string>{"all"}) sts = strategy_names();  // every registered strategy
  for (size_t i = 0; i < sts.size(); ++i) {
    bool known = false;
    for (const auto& n : strategy_names()) known |= n == sts[i];
    if (!known) bad("$.strategies[" + std::to_string(i) + "]", "unknown strategy '" + sts[i] + "'");
    else a.strategies.push_back(sts[i]);
  }
  a.nccl_paths.clear();
  auto nps = str_list("nccl_paths", {"default"});
  for (size_t i = 0; i < nps.size(); ++i) {
    try {
      for (NcclPath p : parse_nccl_paths(nps[i]))
        if (std::find(a.nccl_paths.begin(), a.nccl_paths.end(), p) == a.nccl_paths.end()) a.nccl_paths.push_back(p);
    } catch (const Error& e) {
      bad("$.nccl_paths[" + std::to_string(i) + "]", e.what());
    }
  }
  if (!errs.empty()) {
    std::string msg = std::to_string(errs.size()) + " bad entr" + (errs.size() == 1 ? "y" : "ies") + ":";
    for (const auto& e : errs) msg += "\n  " + e;
    throw Error("bad_sweep_file", msg);
  }
  return a;
}

}  // namespace bb
