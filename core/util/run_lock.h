// One writer per run directory. RunLock takes an exclusive flock(2) on the directory itself:
// the kernel drops it when the process ends, however it ends, so the lock of a killed run is
// never stale; nothing is written to take it. Its owner (pid, host, start time) goes into
// RUN/.lock once the run has passed its checks (write_owner), for the message a second writer
// gets. LibTorch-free.
#pragma once

#include <stdexcept>
#include <string>

namespace attnlab {

// Another process holds the run directory; the message names it (pid and host when known).
struct RunDirBusy : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RunLock {
 public:
  // Creates `dir` if missing and locks it, or throws RunDirBusy. When this lock created the
  // directory and the run never commits (e.g. a check refuses it), the empty directory is
  // removed again, so that a refused command leaves no trace.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // The run goes ahead: records this process as the owner in RUN/.lock.
  void write_owner();
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int fd_ = -1;
  bool created_ = false, committed_ = false;
};

// "pid 1234 on host gpu07 since 2026-11-30 14:02:11": who RUN/.lock names, or "" if none.
std::string run_lock_owner(const std::string& dir);

}  // namespace attnlab
