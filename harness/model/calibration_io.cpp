#include "model/calibration_io.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "comm/backend.hpp"
#include "core/error.hpp"

namespace bb {
namespace {

namespace fs = std::filesystem;

// nccl-tests' "size" (its busbw convention, doc/PERFORMANCE.md there) as the collective table's
// per-rank message: all_gather and alltoall report the whole receive buffer, all_reduce the
// buffer, sendrecv what one rank sends.
int64_t msg_of_nccl_tests_size(CollOp op, int n, int64_t size) {
  const int64_t per_msg_byte = collective(op).bytes(n, 1).coll_bytes;
  return per_msg_byte > 0 ? size / per_msg_byte : size;
}

bool op_of_program(const std::string& name, CollOp* op) {
  for (const CollRow& row : collective_table())
    if (name.find(row.nccl_tests_program) != std::string::npos) {
      *op = row.op;
      return true;
    }
  return false;
}

void add_point(Measurements& m, CollOp op, LinkClass link, int n, double link_bytes, double us, const std::string& src) {
  if (!(us > 0) || !(link_bytes > 0) || n < 2) return;  // a one-rank call moves nothing over a link
  FitPoint p;
  p.op = op;
  p.link = link;
  p.group_size = n;
  p.link_bytes = link_bytes;
  p.measured_us = us;
  p.source = src;
  m.points.push_back(p);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("bad_calibration", "cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

LinkClass results_link(const nlohmann::json& r) {
  const auto& env = r.value("environment", nlohmann::json::object());
  const BackendTraits* backend = find_backend(env.value("backend", ""));
  if (!backend || !backend->over_links) return LinkClass::shared;  // copies on one memory (or unknown)
  std::set<std::string> hosts, gpus;
  if (env.contains("launch") && env["launch"].contains("ranks"))
    for (const auto& rk : env["launch"]["ranks"]) {
      hosts.insert(rk.value("host", ""));
      if (rk.contains("gpu_pci_bus_id") && rk["gpu_pci_bus_id"].is_string())
        gpus.insert(rk.value("host", "") + "/" + rk["gpu_pci_bus_id"].get<std::string>());
    }
  const size_t ranks = env.contains("launch") ? env["launch"].value("ranks", nlohmann::json::array()).size() : 0;
  if (ranks > 1 && gpus.size() == 1) return LinkClass::socket;
  if (hosts.size() > 1) return LinkClass::network;
  return LinkClass::nvlink;
}

void read_results_collectives(const nlohmann::json& r, const std::string& name, Measurements& m) {
  const LinkClass link = results_link(r);
  const auto& env = r.value("environment", nlohmann::json::object());
  if (env.contains("copy_bandwidth_GBps") && env["copy_bandwidth_GBps"].is_number() &&
      env["copy_bandwidth_GBps"].get<double>() > 0) {
    m.copy.copy_GBps = env["copy_bandwidth_GBps"].get<double>();
    m.copy.calibrated = true;
    m.copy.source = "measured copy bandwidth of " + name + " (environment.copy_bandwidth_GBps)";
  }
  // Configs whose strategy moves nothing (no phase): the two marks of an empty round trip.
  int empty = 0;
  for (const auto& c : r.value("configs", nlohmann::json::array())) {
    if (!c.value("correct", true) || !c.contains("total") || !c.value("phases", nlohmann::json::array()).empty()) continue;
    const double ms = c["total"].value("median_ms", 0.0);
    if (!(ms > 0)) continue;
    m.empty_round_trip_ms.push_back(ms);
    ++empty;
  }
  if (empty) m.empty_source += (m.empty_source.empty() ? "" : ", ") + name;
  int used = 0;
  for (const auto& c : r.value("collectives", nlohmann::json::array())) {
    if (!c.value("correct", true)) continue;
    CollOp op;
    try {
      op = collective(c.value("op", std::string())).op;
    } catch (const Error&) {
      continue;
    }
    const bool in_place = collective(op).bridge_in_place && c.contains("in_place_median_ms");
    const double ms = c.value(in_place ? "in_place_median_ms" : "median_ms", 0.0);
    const int n = c.value("group_size", 0);
    double bytes = c.value("bytes_per_rank", 0.0);
    // On a shared medium every rank of every group moves its bytes through the one memory.
    if (link == LinkClass::shared || link == LinkClass::socket)
      bytes *= double(n) * c.value("groups", 1) *
               medium_bytes_factor(link == LinkClass::shared ? Medium::shared : Medium::socket, op, n,
                                   bare_placement(collective(op), n, in_place));
    const size_t before = m.points.size();
    add_point(m, op, link, n, bytes, ms * 1e3, name + ": " + c.value("id", std::string("?")));
    used += int(m.points.size() - before);
  }
  m.sources.push_back(name + ": results JSON, " + std::to_string(used) + " bare collectives over " + link_name(link) + ", " +
                      std::to_string(empty) + " empty round trips");
}

void read_nccl_tests_text(const std::string& text, const std::string& name, Measurements& m) {
  std::istringstream in(text);
  std::string line;
  CollOp op = CollOp::all_gather;
  bool have_op = false;
  std::set<std::string> hosts;
  int ranks = 0;
  struct Row {
    int64_t size;
    double oop_us, ip_us;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      const auto at = line.find("Collective test starting:");
      if (at != std::string::npos) have_op = op_of_program(line.substr(at), &op);
      std::istringstream ls(line);
      std::string hash, word;
      ls >> hash >> word;
      if (word == "Rank") {  // "#  Rank  0 Group  0 Pid 2333 on vm device 0 [...] NAME"
        ++ranks;
        std::string tok, prev;
        while (ls >> tok) {
          if (prev == "on") hosts.insert(tok);
          prev = tok;
        }
      }
      continue;
    }
    std::istringstream ls(line);
    std::vector<std::string> f;
    for (std::string t; ls >> t;) f.push_back(t);
    // size count type redop root time algbw busbw #wrong time algbw busbw #wrong
    if (f.size() < 13) continue;
    try {
      rows.push_back({std::stoll(f[0]), std::stod(f[5]), std::stod(f[9])});
    } catch (const std::exception&) {
      continue;
    }
  }
  if (!have_op) throw Error("bad_calibration", name + ": no 'Collective test starting: <op>_perf' line (not nccl-tests output?)");
  if (ranks < 2) throw Error("bad_calibration", name + ": nccl-tests output lists " + std::to_string(ranks) + " ranks; at least 2 are needed");
  const LinkClass link = hosts.size() > 1 ? LinkClass::network : LinkClass::nvlink;
  const bool ip = collective(op).bridge_in_place;
  for (const auto& r : rows) {
    const double bytes = double(collective_bytes(op, ranks, msg_of_nccl_tests_size(op, ranks, r.size)).bytes_per_rank);
    add_point(m, op, link, ranks, bytes, ip ? r.ip_us : r.oop_us, name + ": size " + std::to_string(r.size));
  }
  m.sources.push_back(name + ": nccl-tests text, " + collective(op).name + " on " + std::to_string(ranks) + " ranks over " +
                      link_name(link) + ", " + std::to_string(rows.size()) + " sizes");
}

void read_nccl_tests_json(const nlohmann::json& j, const std::string& name, Measurements& m) {
  CollOp op = CollOp::all_gather;
  bool have_op = false;
  for (const auto& r : j.value("results", nlohmann::json::array()))
    if (r.contains("experiment_name") && r["experiment_name"].is_string())
      have_op = have_op || op_of_program(r["experiment_name"].get<std::string>(), &op);
  if (!have_op && j.contains("args") && !j["args"].empty() && j["args"][0].is_string())
    have_op = op_of_program(j["args"][0].get<std::string>(), &op);
  if (!have_op) throw Error("bad_calibration", name + ": nccl-tests JSON names no known test (experiment_name / args[0])");
  nlohmann::json devices = j.contains("config") ? j["config"].value("devices", nlohmann::json::array()) : nlohmann::json::array();
  if (devices.empty()) devices = j.value("devices", nlohmann::json::array());
  std::set<std::string> hosts;
  for (const auto& d : devices) hosts.insert(d.value("hostname", ""));
  const int ranks = int(devices.size());
  if (ranks < 2) throw Error("bad_calibration", name + ": nccl-tests JSON lists " + std::to_string(ranks) + " devices; at least 2 are needed");
  const LinkClass link = hosts.size() > 1 ? LinkClass::network : LinkClass::nvlink;
  const char* placement = collective(op).bridge_in_place ? "in_place" : "out_of_place";
  int used = 0;
  for (const auto& r : j["results"]) {
    if (!r.contains(placement) || !r[placement].is_object() || !r[placement]["time"].is_number()) continue;
    const int64_t size = r.value("size", int64_t(0));
    const double bytes = double(collective_bytes(op, ranks, msg_of_nccl_tests_size(op, ranks, size)).bytes_per_rank);
    const size_t before = m.points.size();
    add_point(m, op, link, ranks, bytes, r[placement]["time"].get<double>(), name + ": size " + std::to_string(size));
    used += int(m.points.size() - before);
  }
  m.sources.push_back(name + ": nccl-tests JSON, " + collective(op).name + " on " + std::to_string(ranks) +
                      " ranks over " + link_name(link) + ", " + std::to_string(used) + " sizes");
}

namespace {

void read_one(const fs::path& p, Measurements& m) {
  const std::string text = read_file(p.string()), name = p.filename().string();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      throw Error("bad_calibration", p.string() + ": not valid JSON (" + e.what() + ")");
    }
    if (j.value("schema", "") == "bridgebench/results") read_results_collectives(j, name, m);
    else if (j.contains("results")) read_nccl_tests_json(j, name, m);
    else throw Error("bad_calibration", p.string() + ": JSON that is neither a bridgebench results file nor nccl-tests -J output");
    return;
  }
  read_nccl_tests_text(text, name, m);
}

}  // namespace

Measurements read_measurements(const std::string& path) {
  Measurements m;
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".json" || ext == ".txt" || ext == ".log")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (f.filename() == "README.md") continue;
      read_one(f, m);
    }
  } else if (fs::exists(p, ec)) {
    read_one(p, m);
  } else {
    throw Error("bad_calibration", "--calibration " + path + " does not exist");
  }
  if (m.points.empty()) throw Error("bad_calibration", path + " holds no measured collective of 2 or more ranks");
  return m;
}

Calibration calibrate(const std::string& path) {
  Measurements m = read_measurements(path);
  return fit_all(m.points, m.copy, m.sources, floor_of(m.empty_round_trip_ms, m.empty_source));
}

nlohmann::ordered_json floor_json(const TimerFloor& f) {
  return {{"us", f.us}, {"calibrated", f.calibrated}, {"source", f.source}};
}

nlohmann::ordered_json calibration_json(const Calibration& c) {
  using oj = nlohmann::ordered_json;
  oj fits = oj::array();
  for (const auto& [key, f] : c.fits) {
    oj pts = oj::array();
    for (const auto& p : f.points)
      pts.push_back({{"group_size", p.group_size}, {"link_bytes", p.link_bytes}, {"measured_us", p.measured_us},
                     {"fitted_us", p.fitted_us}, {"residual", p.residual}, {"source", p.source}});
    fits.push_back({{"op", collective(key.first).name}, {"link", link_name(key.second)}, {"alpha_us", f.alpha_us},
                    {"beta_GBps", f.beta_GBps}, {"calibrated", f.calibrated}, {"source", f.source}, {"points", pts}});
  }
  oj j;
  j["sources"] = c.sources;
  j["fits"] = fits;
  j["copy"] = {{"alpha_us", c.copy.alpha_us}, {"copy_GBps", c.copy.copy_GBps}, {"calibrated", c.copy.calibrated},
               {"source", c.copy.source}};
  return j;
}

}  // namespace bb
