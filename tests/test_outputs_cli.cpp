// Issue 20, through the bridge_bench binary: outputs that respect what they name (a symlink
// stays a link, a device/FIFO/socket is refused, never replaced; an output equal to an input is
// refused; one results file, one run at a time; temp files of dead runs removed), and signals
// that keep the work (SIGINT/SIGTERM write what was measured, exit 130/143).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_util.hpp"

namespace {

using bbtest::Run;
using bbtest::TempDir;

const std::string kSmall = " --backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x64x32 "
                           "--strategies=fused --collectives=off --iters=1 --warmup=0";

Run bench(const TempDir& d, const std::string& args) { return bbtest::run_in(d, std::string(BB_BENCH_CLI) + " " + args); }

void expect_refused(const Run& r, const std::string& rule, const std::string& words = "") {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("error: " + rule + ": " + words), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("[config 1/"), std::string::npos) << "a config ran before the refusal:\n" << r.err;
}

bool is_link(const std::string& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

mode_t mode_of(const std::string& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0 ? st.st_mode : 0;
}

const char* kOld = "{\"old\": true}\n";

}  // namespace

// O07: latest.json -> runs/x.json: the results go to runs/x.json; latest.json stays a link.
TEST(Outputs, SymlinkIsFollowedAndStaysALink) {
  TempDir d;
  std::filesystem::create_directory(d.file("runs"));
  d.write("runs/x.json", kOld);
  std::filesystem::create_symlink("runs/x.json", d.file("latest.json"));
  const bbtest::Run r = bench(d, kSmall + " --json latest.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(is_link(d.file("latest.json")));
  const auto j = nlohmann::json::parse(d.read("runs/x.json"));
  EXPECT_EQ(j["configs"].size(), 1u);
  EXPECT_EQ(d.entries(), 2u) << "no temp, probe or lock file left beside the results";
}

// O09: a dangling link names where the results go; the link is kept.
TEST(Outputs, DanglingSymlinkWritesItsTarget) {
  TempDir d;
  std::filesystem::create_directory(d.file("runs"));
  std::filesystem::create_symlink("runs/new.json", d.file("latest.json"));
  const bbtest::Run r = bench(d, kSmall + " --json latest.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(is_link(d.file("latest.json")));
  EXPECT_TRUE(d.exists("runs/new.json"));
}

// O05, O06 (a character device; /dev/stdout on a pipe), O08 (FIFO), O10 (socket), a directory:
// refused before anything runs, and left as they were.
TEST(Outputs, NonRegularFilesAreRefusedNotReplaced) {
  TempDir d;
  // A character device. As root (containers, GPU nodes) the old rename replaced /dev/null
  // itself: root tests on a device node of its own, never on the system's.
  const std::string dev = getuid() == 0 ? d.file("null") : "/dev/null";
  if (getuid() == 0) ASSERT_EQ(mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  expect_refused(bench(d, kSmall + " --json " + dev), "bad_output", "--json=" + dev + " is a character device");
  EXPECT_TRUE(S_ISCHR(mode_of(dev)));
  // Through the shell's pipe: /dev/stdout -> /proc/self/fd/1 -> a pipe.
  const bbtest::Run out = bench(d, kSmall + " --json /dev/stdout");
  expect_refused(out, "bad_output", "--json=/dev/stdout");
  EXPECT_NE(out.err.find("FIFO"), std::string::npos) << out.err;
  ASSERT_EQ(mkfifo(d.file("fifo").c_str(), 0644), 0);
  expect_refused(bench(d, kSmall + " --json fifo"), "bad_output", "--json=fifo is a FIFO");
  EXPECT_TRUE(S_ISFIFO(mode_of(d.file("fifo"))));
  const int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock = d.file("sock");
  ASSERT_LT(sock.size(), sizeof addr.sun_path);
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  expect_refused(bench(d, kSmall + " --json sock"), "bad_output", "--json=sock is a socket");
  EXPECT_TRUE(S_ISSOCK(mode_of(sock)));
  close(s);
  std::filesystem::create_symlink("fifo", d.file("to_fifo"));
  expect_refused(bench(d, kSmall + " --json to_fifo"), "bad_output", "--json=to_fifo (-> ");
  EXPECT_TRUE(is_link(d.file("to_fifo")));
  std::filesystem::create_directory(d.file("dir"));
  expect_refused(bench(d, kSmall + " --json dir"), "bad_output", "--json=dir is a directory");
}

// O15: the sweep file itself (also through a link), O16: Google Benchmark's own output.
TEST(Outputs, AnOutputEqualToAnInputIsRefused) {
  TempDir d;
  const std::string sweep =
      R"({"layouts": ["seed_fan_in_cp1"], "shapes": [{"b": 2, "s": 64, "h": 32}], "strategies": ["fused"]})";
  d.write("sweep.json", sweep);
  std::filesystem::create_symlink("sweep.json", d.file("alias.json"));
  const std::string args = " --backend=host --layouts=sweep.json --collectives=off --iters=1 --warmup=0";
  expect_refused(bench(d, args + " --json sweep.json"), "bad_output", "--json=sweep.json is the sweep file");
  expect_refused(bench(d, args + " --json alias.json"), "bad_output", "--json=alias.json is the sweep file");
  expect_refused(bench(d, args + " --json ./sweep.json"), "bad_output");
  EXPECT_EQ(d.read("sweep.json"), sweep);
  expect_refused(bench(d, kSmall + " --json both.json --benchmark_out=both.json"), "bad_output",
                 "--json and --benchmark_out both name both.json");
  expect_refused(bench(d, kSmall + " --json o.json --benchmark_out=sweep.json --layouts=sweep.json"), "bad_output",
                 "--benchmark_out=sweep.json is the sweep file");
  EXPECT_FALSE(d.exists("both.json"));
}

// O17, O18: Google Benchmark said "invalid file name" after the whole sweep, exit 1.
TEST(Outputs, BenchmarkOutIntoAMissingDirectoryIsRefusedUpFront) {
  TempDir d;
  expect_refused(bench(d, kSmall + " --json o.json --benchmark_out=no/such/gb.json"), "bad_output",
                 "--benchmark_out=no/such/gb.json: directory 'no/such' does not exist");
  expect_refused(bench(d, kSmall + " --json o.json --benchmark_out=" + d.file("none/gb.json")), "bad_output",
                 "--benchmark_out=");
  std::filesystem::create_directory(d.file("dir"));
  expect_refused(bench(d, kSmall + " --json o.json --benchmark_out=dir"), "bad_output", "--benchmark_out=dir is a directory");
  EXPECT_FALSE(d.exists("o.json"));
}

// C01: while one run holds o.json, a second run naming it is refused (output_busy, exit 2),
// naming the lock; the first run's results are whole.
TEST(Outputs, ASecondRunOnTheSameResultsFileIsRefused) {
  TempDir d;
  const std::string slow = " --backend=host --layouts=seed_fan_in_cp1 --mem=bsh,sbh --shapes=2x256x256 "
                           "--strategies=all --collectives=off --iters=3 --warmup=0";
  const std::string cmd = "cd '" + d.path() + "' && exec " + std::string(BB_BENCH_CLI) + slow +
                          " --json o.json >/dev/null 2>first.err";
  const pid_t first = fork();
  ASSERT_GE(first, 0);
  if (first == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // The first run holds the lock from its checks to its final write; wait until it runs.
  for (int i = 0; i < 600 && d.read("first.err").find("[config 1/") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const bbtest::Run second = bench(d, kSmall + " --json o.json");
  int st = 0;
  waitpid(first, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0) << d.read("first.err");
  expect_refused(second, "output_busy", "--json=o.json is being written by another run");
  const auto j = nlohmann::json::parse(d.read("o.json"));
  EXPECT_GT(j["configs"].size(), 1u) << "the first run's results, whole";
  EXPECT_FALSE(d.exists("o.json.lock")) << "the lock goes with the run";
}

// G04: a run killed during its final write left o.json.tmp.<pid>; the next run on o.json
// removes it (its process is gone), and keeps a live process's.
TEST(Outputs, StaleTempFilesOfDeadRunsAreRemoved) {
  TempDir d;
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  d.write("o.json.tmp." + std::to_string(dead), "");
  d.write("o.json.tmp." + std::to_string(getpid()), "");  // this test's process is alive
  d.write("other.json.tmp." + std::to_string(dead), "");  // another file's: not this run's
  const bbtest::Run r = bench(d, kSmall + " --json o.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(d.exists("o.json.tmp." + std::to_string(dead)));
  EXPECT_TRUE(d.exists("o.json.tmp." + std::to_string(getpid())));
  EXPECT_TRUE(d.exists("other.json.tmp." + std::to_string(dead)));
}

// The old file's permissions survive the rename; its content is replaced whole.
TEST(Outputs, ResultsKeepTheOldFilesMode) {
  TempDir d;
  d.write("o.json", kOld);
  chmod(d.file("o.json").c_str(), 0600);
  ASSERT_EQ(bench(d, kSmall + " --json o.json").code, 0);
  EXPECT_EQ(mode_of(d.file("o.json")) & 0777, 0600u);
  EXPECT_EQ(nlohmann::json::parse(d.read("o.json"))["configs"].size(), 1u);
}

namespace {

// Starts bridge_bench in `d` (stderr to run.err), sends `sig` once the second config started,
// and returns its exit code (-1 if a signal ended it).
int interrupt_run(const TempDir& d, int sig) {
  const std::string args = " --backend=host --layouts=seed_fan_in_cp1,seed_fan_in_cp2 --mem=bsh,sbh --shapes=2x256x256 "
                           "--strategies=all --iters=3 --warmup=0 --json o.json";
  const std::string cmd = "cd '" + d.path() + "' && exec " + std::string(BB_BENCH_CLI) + args + " >/dev/null 2>run.err";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 1200 && d.read("run.err").find("[config 2/") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, sig);
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void expect_interrupted(const TempDir& d, int code, int expect_code, const std::string& name) {
  const std::string err = d.read("run.err");
  EXPECT_EQ(code, expect_code) << err;
  EXPECT_NE(err.find("error: interrupted: interrupted by " + name), std::string::npos) << err;
  const auto j = nlohmann::json::parse(d.read("o.json"));
  EXPECT_EQ(j["aborted"]["rule"], "interrupted");
  EXPECT_EQ(j["aborted"]["signal"], name);
  EXPECT_GE(j["configs"].size(), 1u) << "what was measured before the signal is kept";
  EXPECT_TRUE(j["failures"].empty()) << "the configs not run are not failures: " << j["failures"].dump();
  for (const auto& c : j["configs"]) EXPECT_TRUE(c["correct"].get<bool>());
  EXPECT_EQ(err.find("[collective "), std::string::npos) << "no config started after the signal:\n" << err;
}

}  // namespace

// G02: what `timeout` and Slurm's time limit send.
TEST(Signals, SigtermWritesWhatWasMeasuredAndExits143) {
  TempDir d;
  expect_interrupted(d, interrupt_run(d, SIGTERM), 143, "SIGTERM");
}

// G01: Ctrl-C.
TEST(Signals, SigintWritesWhatWasMeasuredAndExits130) {
  TempDir d;
  expect_interrupted(d, interrupt_run(d, SIGINT), 130, "SIGINT");
}
