#include "results/sweep.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

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
  o << layout.name << "/" << layout_name(shape.layout) << "/" << dtype_name(shape.dtype) << "/b" << shape.b
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
            p.shape.layout = mem;
            p.shape.dtype = dt;
            p.shape.b = sh[0];
            p.shape.s = sh[1];
            p.shape.h = sh[2];
            p.strategy = st;
            v.push_back(p);
          }
  return v;
}

std::vector<std::array<int64_t, 3>> parse_shapes(const std::string& arg) {
  std::vector<std::array<int64_t, 3>> out;
  std::stringstream ss(arg);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::array<int64_t, 3> s{};
    char x1 = 0, x2 = 0;
    std::istringstream in(item);
    if (!(in >> s[0] >> x1 >> s[1] >> x2 >> s[2]) || x1 != 'x' || x2 != 'x' || !in.eof() || s[0] < 1 ||
        s[1] < 1 || s[2] < 1)
      throw Error("bad_flag", "shape '" + item + "' is not BxSxH with positive integers (e.g. 2x4096x4096)");
    out.push_back(s);
  }
  if (out.empty()) throw Error("bad_flag", "no shapes given");
  return out;
}

std::vector<LayoutCase> layouts_from_arg(const std::string& arg, int world) {
  if (arg.size() > 5 && arg.substr(arg.size() - 5) == ".json") return load_sweep_file(arg).layouts;
  if (arg == "seeds") return seed_layouts();
  if (arg == "all") return all_layouts(world);
  std::vector<LayoutCase> out;
  std::stringstream ss(arg);
  std::string name;
  while (std::getline(ss, name, ',')) {
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
    if (!j["world"].is_number_integer() || j["world"].get<int>() < 1) bad("$.world", "must be an integer >= 1");
    else world = j["world"].get<int>();
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
        for (const char* side : {"src", "dest"})
          for (auto it = e[side].begin(); it != e[side].end(); ++it)
            if (!it->is_number_integer()) bad(at + "." + side + "." + it.key(), "must be an integer");
        l.src = e["src"].get<std::map<std::string, int>>();
        l.dest = e["dest"].get<std::map<std::string, int>>();
        if (e.contains("src_order")) l.src_order = e["src_order"].get<std::vector<std::string>>();
        if (e.contains("dest_order")) l.dest_order = e["dest_order"].get<std::vector<std::string>>();
        if (e.contains("offset")) l.offset = e["offset"].get<int>();
        l.name = e.contains("name") ? e["name"].get<std::string>() : layout_label(l);
        l.plan();  // validates (SPEC 3 rule ids)
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
      int k = 0;
      for (const char* d : {"b", "s", "h"}) {
        if (!ok || !e.contains(d) || !e[d].is_number_integer() || e[d].get<int64_t>() < 1) {
          bad(at + "." + d, "must be an integer >= 1");
          ok = false;
          break;
        }
        s[size_t(k++)] = e[d].get<int64_t>();
      }
      if (ok) a.shapes.push_back(s);
    }
  }
  a.mems.clear();
  auto mems = str_list("memory_layouts", {"bsh"});
  for (size_t i = 0; i < mems.size(); ++i) {
    try { a.mems.push_back(parse_layout(mems[i])); } catch (const Error& e) { bad("$.memory_layouts[" + std::to_string(i) + "]", e.what()); }
  }
  a.dtypes.clear();
  auto dts = str_list("dtypes", {"bf16"});
  for (size_t i = 0; i < dts.size(); ++i) {
    try { a.dtypes.push_back(parse_dtype(dts[i])); } catch (const Error& e) { bad("$.dtypes[" + std::to_string(i) + "]", e.what()); }
  }
  auto sts = str_list("strategies", {"reference", "fused"});
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
