#pragma once
// Runs a command line-tool in a fresh temp dir (its cwd), captures exit code, stdout and
// stderr, and removes the dir afterwards: CLI tests leave nothing behind.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace bbtest {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bb_cli_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& body) const { std::ofstream(file(name)) << body; }
  std::string read(const std::string& name) const {
    std::ifstream f(file(name));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(file(name)); }
  size_t entries() const {
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(path_); it != std::filesystem::directory_iterator(); ++it) ++n;
    return n;
  }

 private:
  std::string path_;
};

struct Run {
  int code = -1;  // exit code; -1 when killed by a signal (a crash)
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `cmd` runs through the shell with `dir` as its working directory (so `env A=B prog ...`
// works); stderr goes to a file inside dir, removed before returning.
inline Run run_in(const TempDir& dir, const std::string& cmd) {
  const std::string err = dir.file(".stderr");
  const std::string full = "cd '" + dir.path() + "' && " + cmd + " 2>'" + err + "'";
  Run r;
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = slurp(err);
  std::filesystem::remove(err);
  return r;
}

}  // namespace bbtest
