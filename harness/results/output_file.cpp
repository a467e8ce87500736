#include "results/output_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace bb {

namespace {

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// Refuses what exists and is not a regular file: it would be replaced by the rename, or (a
// pipe, a terminal) never hold a file at all.
void refuse_special(const std::string& path, const std::string& target, const std::string& flag) {
  struct stat st {};
  if (stat(target.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  const std::string via = target == path ? "" : " (-> " + target + ")";
  throw Error("bad_output", flag + "=" + path + via + " is " + kind_of(st.st_mode) +
                                ", not a regular file: results are written to a temp file and renamed over "
                                "the path, so name a file (or a symlink to one)");
}

bool alive(long pid) { return pid > 0 && pid <= INT_MAX && (kill(pid_t(pid), 0) == 0 || errno == EPERM); }

// `<name>.tmp.<pid>` and `<name>.probe.<pid>` of processes that are gone.
void remove_stale_temps(const std::string& target) {
  const std::string dir = dir_of(target), name = base_of(target);
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (const dirent* e = readdir(d)) {
    const std::string f = e->d_name;
    for (const char* tag : {".tmp.", ".probe."}) {
      const std::string prefix = name + tag;
      if (f.size() <= prefix.size() || f.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string pid = f.substr(prefix.size());
      if (pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (!alive(std::stol(pid))) unlink((dir + "/" + f).c_str());
    }
  }
  closedir(d);
}

}  // namespace

std::string output_target(const std::string& path, const std::string& flag) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::string buf(PATH_MAX, '\0');
    const ssize_t n = readlink(p.c_str(), buf.data(), buf.size());
    if (n <= 0) return p;
    buf.resize(size_t(n));
    p = buf[0] == '/' ? buf : dir_of(p) + "/" + buf;
  }
  throw Error("bad_output", flag + "=" + path + " is a loop of symlinks");
}

void check_output_path(const std::string& path, const std::string& flag) {
  if (path.empty()) throw Error("bad_output", flag + " is empty");
  const std::string target = output_target(path, flag);
  refuse_special(path, target, flag);
  // And what the kernel says the path leads to: /dev/stdout's link /proc/self/fd/1 names a
  // pipe or a terminal ("pipe:[123]"), not a path output_target could follow.
  refuse_special(path, path, flag);
  const std::string dir = dir_of(target);
  const std::string via = target == path ? "" : " (-> " + target + ")";
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0)
    throw Error("bad_output", flag + "=" + path + via + ": directory '" + dir + "' does not exist (create it first)");
  if (!S_ISDIR(st.st_mode)) throw Error("bad_output", flag + "=" + path + via + ": '" + dir + "' is not a directory");
  // The results are written to a temp file beside the target and renamed: probe exactly that.
  const std::string probe = target + ".probe." + std::to_string(getpid());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0)
    throw Error("bad_output", flag + "=" + path + via + ": cannot create a file in '" + dir + "': " + std::strerror(errno));
  const bool wrote = write(fd, "{}", 2) == 2;
  close(fd);
  unlink(probe.c_str());
  if (!wrote) throw Error("bad_output", flag + "=" + path + via + ": cannot write in '" + dir + "'");
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  // One is absent (so not the other, if that exists): the same only if both name one path.
  std::error_code ec;
  const auto ca = std::filesystem::weakly_canonical(output_target(a, a), ec);
  const auto cb = std::filesystem::weakly_canonical(output_target(b, b), ec);
  return !ec && ca == cb;
}

OutputLock::OutputLock(const std::string& path, const std::string& flag)
    : lock_path_(output_target(path, flag) + ".lock") {
  // flock on the lock file; the file is removed when released, so after taking the lock, the
  // path must still name the locked file (another run may have removed it in between).
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd_ = open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("bad_output", flag + "=" + path + ": cannot create " + lock_path_ + ": " + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK)
        throw Error("output_busy", flag + "=" + path + " is being written by another run (it holds " + lock_path_ +
                                       "); wait for it, or name another file");
      throw Error("bad_output", flag + "=" + path + ": cannot lock " + lock_path_ + ": " + std::strerror(err));
    }
    struct stat held {}, now {};
    if (fstat(fd_, &held) == 0 && stat(lock_path_.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      const std::string pid = std::to_string(getpid()) + "\n";
      if (ftruncate(fd_, 0) == 0) {
        const ssize_t w = write(fd_, pid.data(), pid.size());  // for a person looking; the flock is the lock
        (void)w;
      }
      remove_stale_temps(output_target(path, flag));
      return;
    }
    close(fd_);
    fd_ = -1;
  }
  throw Error("output_busy", flag + "=" + path + ": " + lock_path_ + " keeps changing; another run is writing it");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  unlink(lock_path_.c_str());  // still held: no other run can be between its flock and this
  close(fd_);
}

void write_file_atomic(const std::string& path, const std::string& body, const std::string& flag) {
  const std::string target = output_target(path, flag);
  refuse_special(path, target, flag);
  struct stat old {};
  const bool had = stat(target.c_str(), &old) == 0;
  const std::string tmp = target + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, had ? (old.st_mode & 07777) : 0644);
  if (fd < 0) throw Error("io_error", "cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < body.size()) {
    const ssize_t n = write(fd, body.data() + done, body.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += size_t(n);
  }
  const int err = done == body.size() ? (fsync(fd) == 0 ? 0 : errno) : errno;
  if (had) (void)fchmod(fd, old.st_mode & 07777);  // umask must not narrow the old file's mode
  close(fd);
  if (done != body.size() || err) {
    unlink(tmp.c_str());
    throw Error("io_error", "write to " + tmp + " failed (" + std::strerror(err ? err : EIO) + "); " + path +
                                " is left as it was");
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    throw Error("io_error", "cannot rename " + tmp + " to " + target + ": " + std::strerror(e));
  }
}

}  // namespace bb
