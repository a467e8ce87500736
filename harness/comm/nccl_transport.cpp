#include "comm/nccl_transport.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <utility>

#include "comm/comm.hpp"

namespace bb {

const std::vector<std::string>& transport_names() {
  static const std::vector<std::string> names{"P2P/CUMEM", "P2P/IPC", "P2P/direct", "SHM",
                                              "NET/Socket", "NET/IB", "NET/other", "other"};
  return names;
}

std::string transport_key(const std::string& via) {
  const size_t a = via.find('/');
  const std::string first = via.substr(0, a);
  if (first == "SHM") return "SHM";
  if (first != "P2P" && first != "NET") return "other";
  if (a == std::string::npos) return first == "NET" ? "NET/other" : "P2P/direct";
  const size_t b = via.find('/', a + 1);
  std::string key = first + "/" + via.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  // NCCL names the direct-pointer P2P mode "P2P/direct pointer" (two words).
  if (key.rfind("P2P/direct", 0) == 0) return "P2P/direct";
  const auto& n = transport_names();
  if (std::find(n.begin(), n.end(), key) != n.end()) return key;
  return first == "NET" ? "NET/other" : "other";
}

std::map<std::string, int> parse_nccl_transports(std::istream& in) {
  std::map<std::string, int> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("NCCL INFO") == std::string::npos) continue;
    const size_t v = line.find(" via ");
    if (v == std::string::npos) continue;
    size_t s = v + 5;
    size_t e = line.find_first_of(" \t\r", s);
    std::string via = line.substr(s, e == std::string::npos ? std::string::npos : e - s);
    if (!via.empty()) ++out[transport_key(via)];
  }
  return out;
}

std::string link_class_of(const std::string& t) {
  if (t.rfind("P2P/", 0) == 0) return "nvlink";
  if (t == "SHM") return "shm";
  if (t == "NET/Socket") return "socket";
  if (t == "NET/IB") return "ib";
  if (t == "NET/other") return "net";
  return "other";
}

bool ranks_share_a_gpu(const std::vector<RankPlace>& ranks) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : ranks)
    if (!r.gpu_bus_id.empty() && !seen.insert({r.host, r.gpu_bus_id}).second) return true;
  return false;
}

bool several_gpus_on_one_host(const std::vector<RankPlace>& ranks) {
  std::map<std::string, std::set<std::string>> gpus;
  for (const auto& r : ranks)
    if (!r.gpu_bus_id.empty()) gpus[r.host].insert(r.gpu_bus_id);
  for (const auto& [host, g] : gpus)
    if (g.size() > 1) return true;
  return false;
}

namespace {
std::string g_capture_file;   // where this process's NCCL writes its INFO lines
std::string g_not_captured;   // why the transport cannot be read, when it cannot
}  // namespace

void capture_nccl_transports() {
  if (!g_capture_file.empty() || !g_not_captured.empty()) return;  // once per process
  const char* user_debug = std::getenv("NCCL_DEBUG");
  const char* user_file = std::getenv("NCCL_DEBUG_FILE");
  if (user_debug) {
    const std::string f = user_file ? user_file : "";
    if (!f.empty() && f.find('%') == std::string::npos) g_capture_file = f;
    else g_not_captured = "NCCL_DEBUG is set by the user and its output does not go to one NCCL_DEBUG_FILE";
    return;
  }
  const char* tmp = std::getenv("TMPDIR");
  g_capture_file = std::string(tmp && *tmp ? tmp : "/tmp") + "/bridgebench_nccl_" + std::to_string(getpid()) + ".log";
  std::remove(g_capture_file.c_str());
  const std::string why = "to read which transport NCCL chose (its INIT/NET lines), not printed";
  set_env_derived("NCCL_DEBUG", "INFO", why);
  set_env_derived("NCCL_DEBUG_SUBSYS", "INIT,NET", why);
  set_env_derived("NCCL_DEBUG_FILE", g_capture_file, why);
}

std::map<std::string, int> captured_nccl_transports(std::string* why) {
  if (g_capture_file.empty()) {
    *why = g_not_captured.empty() ? "NCCL was not started by this process" : g_not_captured;
    return {};
  }
  std::ifstream in(g_capture_file);
  if (!in) {
    *why = "NCCL wrote no INFO file (" + g_capture_file + ")";
    return {};
  }
  return parse_nccl_transports(in);
}

std::vector<std::string> agree_transports(Comm& world, std::string* why) {
  world.barrier();  // a collective on the world: its connections are made (and reported) by now
  std::string mine_why;
  const auto mine = captured_nccl_transports(&mine_why);
  std::vector<double> seen;
  for (const auto& n : transport_names()) seen.push_back(mine.count(n) ? 1.0 : 0.0);
  seen.push_back(mine_why.empty() ? 0.0 : 1.0);
  seen = world.max_over_ranks_each(std::move(seen));
  std::vector<std::string> out;
  for (size_t i = 0; i < transport_names().size(); ++i)
    if (seen[i] > 0) out.push_back(transport_names()[i]);
  const bool someone_blind = seen.back() > 0;
  if (someone_blind) *why = mine_why.empty() ? "another rank could not read its NCCL INFO lines" : mine_why;
  return out;
}

TransportVerdict judge_transports(const std::vector<std::string>& observed, const std::vector<RankPlace>& ranks) {
  TransportVerdict v;
  for (const auto& n : transport_names())
    if (std::find(observed.begin(), observed.end(), n) != observed.end()) v.transports.push_back(n);
  // Fastest first: a floor from the fastest link any byte took stays a lower bound for all.
  static const std::vector<std::string> by_speed{"nvlink", "shm", "ib", "net", "socket", "other"};
  for (const auto& c : by_speed) {
    const bool seen = std::any_of(v.transports.begin(), v.transports.end(),
                                  [&](const std::string& t) { return link_class_of(t) == c; });
    if (seen) {
      v.link_class = c;
      break;
    }
  }
  const bool socket = std::find(v.transports.begin(), v.transports.end(), "NET/Socket") != v.transports.end();
  if (socket && several_gpus_on_one_host(ranks) && !ranks_share_a_gpu(ranks))
    v.warnings.push_back("NCCL moved bytes between GPUs of one host over NET/Socket, not NVLink or shared memory: "
                         "P2P/SHM are disabled (NCCL_P2P_DISABLE, NCCL_SHM_DISABLE) or the GPUs cannot reach each "
                         "other; these times are socket times");
  return v;
}

}  // namespace bb
