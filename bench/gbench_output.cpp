#include "gbench_output.hpp"

#include <cstring>

namespace bb {

using json = nlohmann::ordered_json;

void add_run_context(const json& env, int world) {
  const json& gpus = env.contains("gpus") ? env["gpus"] : json::array();
  std::string device = "no GPU";
  if (!gpus.empty() && gpus[0].contains("name")) device = gpus[0]["name"].get<std::string>();
  benchmark::AddCustomContext("bridgebench_backend", env.value("backend", std::string("unknown")));
  benchmark::AddCustomContext("bridgebench_device", device);
  benchmark::AddCustomContext("bridgebench_world", std::to_string(world));
  benchmark::AddCustomContext("bridgebench_commit", env.value("git_commit", std::string("unknown")));
}

std::FILE* summary_stream(int argc, char** argv) {
  std::string format = "console";
  for (int i = 1; i < argc; ++i) {
    const char* flag = "--benchmark_format=";
    if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) format = argv[i] + std::strlen(flag);
  }
  return format == "console" ? stdout : stderr;
}

}  // namespace bb
