#include "core/util/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/util/files.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {
std::string host_name() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

// Whether the .lock record names a process alive on this host (else it is a killed run's).
bool owner_alive(const std::string& owner) {
  long pid = 0;
  char who[256] = {0};
  if (std::sscanf(owner.c_str(), "pid %ld on host %255s", &pid, who) != 2) return false;
  return who != host_name() || (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM));
}
}  // namespace

RunLock::RunLock(const std::string& dir) : dir_(dir) {
  for (int attempt = 0;; ++attempt) {
    std::error_code ec;
    created_ = fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create run directory " + dir + ": " + ec.message());
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open run directory " + dir + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      if (err == ENOLCK || err == EOPNOTSUPP) {  // a file system without directory locks (some NFS)
        std::fprintf(stderr, "warning: cannot lock run directory %s (%s): two writers would not be noticed\n",
                     dir.c_str(), std::strerror(err));
        return;
      }
      if (err != EWOULDBLOCK) throw std::runtime_error("cannot lock run directory " + dir + ": " + std::strerror(err));
      const std::string owner = run_lock_owner(dir);
      throw RunDirBusy("run directory " + dir + " is in use by another attnlab process" +
                       (owner_alive(owner) ? " (" + owner + ")" : std::string(" (still starting)")) +
                       ": one run directory takes one writer; wait for it to finish, or choose another experiment.name");
    }
    // The directory we locked must still be the one at `dir`: a refused run that created it
    // may have removed it between our open and our lock.
    struct stat locked {}, now {};
    if (::fstat(fd_, &locked) == 0 && ::stat(dir.c_str(), &now) == 0 && locked.st_ino == now.st_ino &&
        locked.st_dev == now.st_dev)
      return;
    ::close(fd_);
    fd_ = -1;
    if (attempt == 10) throw std::runtime_error("run directory " + dir + " keeps being removed and recreated");
  }
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  if (committed_) {
    std::remove((dir_ + "/.lock").c_str());
  } else if (created_) {
    std::error_code ec;
    fs::remove(dir_, ec);  // only if still empty
  }
  ::close(fd_);  // releases the flock
}

void RunLock::write_owner() {
  const std::time_t now = std::time(nullptr);
  char when[32] = {0};
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  write_file_atomic(dir_ + "/.lock", "pid " + std::to_string(getpid()) + " on host " + host_name() + " since " + when + "\n");
  committed_ = true;
}

std::string run_lock_owner(const std::string& dir) {
  try {
    std::string text = read_file(dir + "/.lock");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace attnlab
