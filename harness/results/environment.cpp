#include <cstdlib>
#include <cstring>
#include <ctime>

#include <unistd.h>

#include "comm/launch_env.hpp"
#include "results/build_info.hpp"
#include "results/results.hpp"
#ifdef BB_HAVE_CUDA
#include "results/gpu_env.hpp"
#endif

extern char** environ;

namespace bb {
namespace {

// The commit this binary was built from (CMake, at configure time). A copy of the tree
// without .git (e.g. a lent GPU machine) can be told its commit with BB_GIT_COMMIT.
std::string build_commit() {
  std::string c = build_info::kCommit;
  if (!c.empty()) return build_info::kDirty ? c + "-dirty" : c;
  if (const char* env = std::getenv("BB_GIT_COMMIT")) return env;
  return "unknown";
}

nlohmann::ordered_json build_json() {
  nlohmann::ordered_json b;
  b["commit"] = build_commit();
  b["commit_source"] = std::strlen(build_info::kCommit) ? "configure" : std::getenv("BB_GIT_COMMIT") ? "BB_GIT_COMMIT" : "none";
  b["build_type"] = build_info::kBuildType;
  b["cxx_compiler"] = build_info::kCxxCompiler;
  b["cxx_flags"] = build_info::kCxxFlags;
  b["cuda"] = build_info::kWithCuda;
  b["cuda_compiler"] = build_info::kWithCuda ? nlohmann::ordered_json(build_info::kCudaCompiler) : nullptr;
  b["cuda_flags"] = build_info::kWithCuda ? nlohmann::ordered_json(build_info::kCudaFlags) : nullptr;
  b["cuda_architectures"] = build_info::kWithCuda ? nlohmann::ordered_json(build_info::kCudaArchitectures) : nullptr;
  b["mpi"] = build_info::kWithMpi;
  b["configured_utc"] = build_info::kConfiguredUtc;
  return b;
}

// Every NCCL_* variable, CUDA_VISIBLE_DEVICES and CUDA_DEVICE_MAX_CONNECTIONS as this process
// sees them (the suite's own choices included; env_set_by_suite says which those are).
nlohmann::ordered_json nccl_cuda_env() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = kv.substr(0, eq);
    if (k.rfind("NCCL_", 0) == 0 || k == "CUDA_VISIBLE_DEVICES" || k == "CUDA_DEVICE_MAX_CONNECTIONS") vars[k] = kv.substr(eq + 1);
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : vars) j[k] = v;
  return j;
}

nlohmann::ordered_json launch_json() {
  const LaunchRecord& r = launch_record();
  nlohmann::ordered_json j;
  j["mode"] = r.mode;
  j["bootstrap"] = r.bootstrap;
  j["source"] = r.source.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.source);
  j["ranks"] = nlohmann::ordered_json::array();
  for (const auto& p : r.ranks)
    j["ranks"].push_back({{"rank", p.rank},
                          {"local_rank", p.local_rank},
                          {"host", p.host},
                          {"gpu", p.gpu < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.gpu)},
                          {"gpu_pci_bus_id", p.gpu_bus_id.empty() ? nlohmann::ordered_json(nullptr)
                                                                  : nlohmann::ordered_json(p.gpu_bus_id)}});
  return j;
}

}  // namespace

nlohmann::ordered_json environment_json(const std::string& backend, const std::string& command_line) {
  nlohmann::ordered_json j;
  j["host"] = this_host();
  std::time_t now = std::time(nullptr);
  char ts[64];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  j["time_utc"] = ts;
  j["git_commit"] = build_commit();
  j["build"] = build_json();
  j["command_line"] = command_line;
  j["backend"] = backend;
  j["launch"] = launch_json();
  j["env"] = nccl_cuda_env();
  nlohmann::ordered_json set = nlohmann::ordered_json::object();
  for (const auto& [k, v] : env_set_by_suite()) set[k] = v;
  j["env_set_by_suite"] = set;
#ifdef BB_HAVE_CUDA
  const nlohmann::ordered_json gpu = gpu_environment_json();
  for (auto it = gpu.begin(); it != gpu.end(); ++it) j[it.key()] = it.value();
#else
  j["gpus"] = nlohmann::ordered_json::array();
  j["gpu_count"] = 0;
  j["driver_version"] = nullptr;
  j["cuda_runtime"] = nullptr;
  j["nccl_version"] = nullptr;
  j["topology"] = nullptr;
#endif
  j["link_bandwidth_GBps"] = kNvlinkGBps;
  return j;
}

}  // namespace bb
