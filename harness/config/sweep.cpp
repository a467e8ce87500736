#include "config/sweep.hpp"

#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "core/checked.hpp"
#include "plan/grid.hpp"
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

const std::vector<std::string>& SweepAxes::values(const Axis& axis) const {
  const auto it = named.find(axis.name);
  return it == named.end() ? axis.file_default : it->second;
}

namespace {

// The named axes from `row` on, each value in turn, into `p`'s key (a loop nest of any depth).
void expand_named(const SweepAxes& a, size_t row, SweepPoint& p, std::vector<SweepPoint>& out) {
  const auto& rows = axis_table();
  while (row < rows.size() && !rows[row].named()) ++row;
  if (row == rows.size()) return out.push_back(p);
  for (const auto& v : a.values(rows[row])) {
    rows[row].set(p.key, v);
    expand_named(a, row + 1, p, out);
  }
}

}  // namespace

std::vector<SweepPoint> expand(const SweepAxes& a) {
  std::vector<SweepPoint> v;
  for (const auto& l : a.layouts)
    for (const auto& sh : a.shapes) {
      SweepPoint p;
      p.layout = l;
      p.key.layout = l.name;
      p.key.world = l.world;
      p.key.shape.b = sh[0];
      p.key.shape.s = sh[1];
      p.key.shape.h = sh[2];
      expand_named(a, 0, p, v);
    }
  return v;
}

int64_t count_configs(const SweepAxes& a) {
  int64_t n = checked_mul(int64_t(a.layouts.size()), int64_t(a.shapes.size()), "number of configs");
  for (const Axis& axis : axis_table())
    if (axis.named()) n = checked_mul(n, int64_t(a.values(axis).size()), "number of configs");
  return n;
}

std::string count_terms(const SweepAxes& a) {
  std::string s = std::to_string(a.layouts.size()) + " layouts x " + std::to_string(a.shapes.size()) + " shapes";
  for (const Axis& axis : axis_table())
    if (!axis.counted_as.empty()) s += " x " + std::to_string(a.values(axis).size()) + " " + axis.counted_as;
  return s;
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

// Layouts in one pass: the same name for two layouts is refused; the same layout again under
// its name is a repeat, under another name a note naming both (it runs once, under the first).
void dedupe_layouts(std::vector<LayoutCase>& layouts, std::vector<std::string>* notes) {
  std::unordered_map<std::string, std::string> key_of_name;
  std::unordered_map<std::string, size_t> kept_at;  // layout key -> index in kept
  std::vector<LayoutCase> kept;
  std::vector<int> mentions;
  std::vector<std::vector<std::string>> aliases;
  for (auto& l : layouts) {
    const std::string key = layout_key(l);
    const auto [named, fresh_name] = key_of_name.emplace(l.name, key);
    if (!fresh_name && named->second != key)
      throw Error("duplicate_layout_name", "two different layouts are both named '" + l.name +
                                               "' (their results would share ids): rename one");
    const auto [at, fresh] = kept_at.emplace(key, kept.size());
    if (fresh) {
      kept.push_back(std::move(l));
      mentions.push_back(1);
      aliases.emplace_back();
      continue;
    }
    ++mentions[at->second];
    auto& other = aliases[at->second];
    if (l.name != kept[at->second].name && std::find(other.begin(), other.end(), l.name) == other.end())
      other.push_back(l.name);
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    if (mentions[i] > 1 && aliases[i].empty())
      notes->push_back("layouts lists '" + kept[i].name + "' " + std::to_string(mentions[i]) + " times; it runs once");
    for (const auto& alias : aliases[i])
      notes->push_back("layouts '" + alias + "' and '" + kept[i].name + "' are one layout; it runs once, as '" +
                       kept[i].name + "' (its results carry that name)");
  }
  layouts = std::move(kept);
}

}  // namespace

void dedupe_axes(SweepAxes& a, std::vector<std::string>* notes) {
  dedupe_layouts(a.layouts, notes);
  auto shape_str = [](const std::array<int64_t, 3>& s) {
    return std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
  };
  dedupe(a.shapes, "shapes", shape_str, shape_str, notes);
  auto name = [](const std::string& x) { return x; };
  for (const Axis& axis : axis_table())
    if (axis.named() && a.named.count(axis.name))
      dedupe(a.named[axis.name], (axis.file_key.empty() ? axis.name : axis.file_key).c_str(), name, name, notes);
}

std::vector<std::array<int64_t, 3>> parse_shapes(const std::string& arg) {
  std::vector<std::array<int64_t, 3>> out;
  for (const std::string& item : split_list(arg, "--shapes")) {
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
  return out;
}

std::vector<LayoutCase> layouts_from_arg(const std::string& arg, int world) {
  if (arg.size() > 5 && arg.substr(arg.size() - 5) == ".json") return load_sweep_file(arg).layouts;
  if (arg.empty()) throw Error("bad_flag", "--layouts is empty (use seeds, all, names or a sweep .json file)");
  std::vector<LayoutCase> out;
  const std::vector<LayoutCase> seeds = seed_layouts();
  std::vector<LayoutCase> every;  // all_layouts(world), made once if a name needs it
  bool made = false;
  auto all = [&]() -> const std::vector<LayoutCase>& {
    if (!made) every = all_layouts(world), made = true;
    return every;
  };
  // "seeds" and "all" may stand among names (repeats are dropped later, and said).
  for (const auto& name : split_list(arg, "--layouts")) {
    if (name == "seeds" || name == "all") {
      const auto& these = name == "seeds" ? seeds : all();
      out.insert(out.end(), these.begin(), these.end());
      continue;
    }
    const LayoutCase* found = nullptr;
    for (const auto& l : seeds)
      if (!found && l.name == name) found = &l;
    if (!found)
      for (const auto& l : all())
        if (!found && l.name == name) found = &l;
    if (!found)
      throw Error("bad_flag", "unknown layout '" + name + "' (use seeds, all, a seed name, a label such as "
                              "tp2dp4-tp2cp2dp2, or a sweep .json file; names may be mixed with seeds and all)");
    out.push_back(*found);
  }
  return out;
}

}  // namespace bb
