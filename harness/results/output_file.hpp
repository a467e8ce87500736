#pragma once
// Output files that respect what they name (issue 20). A results path may be a symlink (e.g.
// latest.json -> runs/x.json): the file written is its target, and the link stays a link. The
// write is a temp file in the target's own directory renamed over it, so a reader never sees
// half a file and a rename never crosses file systems. A path naming anything but a regular
// file (a device such as /dev/null, a FIFO, a socket, a directory, /dev/stdout on a pipe) is
// refused before any work, never replaced. A lock file beside the target keeps a second run
// from writing the same results at once.
#include <string>

namespace bb {

// The file `path` really names: symlinks of its last component followed, relative ones from
// the link's directory (a dangling link names its missing target). Directories are left as
// they are. Throws bad_output on a link loop.
std::string output_target(const std::string& path, const std::string& flag);

// Refuses (bad_output, naming `flag`) an output that is not a regular file or absent, or whose
// directory is missing or not writable; probes exactly what the atomic write will do.
void check_output_path(const std::string& path, const std::string& flag);

// Whether two paths name the same file once links are followed (existing or not).
bool same_file(const std::string& a, const std::string& b);

// Held from the up-front checks until the results are written: `<target>.lock` beside the
// target, flock'ed. A second run naming the same target is refused (output_busy) while the
// first holds it. Taking the lock also removes temp files that dead runs left beside the
// target (`<target>.tmp.<pid>`, a run killed during its final write).
class OutputLock {
 public:
  OutputLock(const std::string& path, const std::string& flag);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  std::string lock_path_;
  int fd_ = -1;
};

// Writes `body` to the file `path` names (see output_target): temp file beside it, flushed to
// disk, renamed over it; the old file keeps its permissions. Throws bad_output if the target
// became something else than a regular file, io_error on a failed write (the temp is removed
// and the old file kept).
void write_file_atomic(const std::string& path, const std::string& body, const std::string& flag = "--json");

}  // namespace bb
