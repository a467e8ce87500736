#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <unistd.h>

#include "results/results.hpp"
#ifdef BB_HAVE_CUDA
#include "results/gpu_env.hpp"
#endif

namespace bb {

static std::string run_capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) out.clear();
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

double host_copy_bandwidth_GBps() {
  const size_t n = size_t(256) << 20;
  std::vector<char> a(n, 1), b(n, 2);
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(b.data(), a.data(), n);
    auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  return 2.0 * double(n) / stats_of(t).median / 1e9;
}

nlohmann::ordered_json environment_json(const std::string& backend, const std::string& command_line) {
  nlohmann::ordered_json j;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  j["host"] = host;
  std::time_t now = std::time(nullptr);
  char ts[64];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  j["time_utc"] = ts;
  std::string commit = run_capture("git -C '" BB_SOURCE_DIR "' rev-parse --short=12 HEAD");
  if (!commit.empty() && !run_capture("git -C '" BB_SOURCE_DIR "' status --porcelain --untracked-files=no").empty())
    commit += "-dirty";
  // A copy of the tree without .git (e.g. a lent GPU machine) can be told its commit.
  if (commit.empty())
    if (const char* env = std::getenv("BB_GIT_COMMIT")) commit = env;
  j["git_commit"] = commit.empty() ? "unknown" : commit;
  j["command_line"] = command_line;
  j["backend"] = backend;
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
