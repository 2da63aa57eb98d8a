#include "core/util/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/util/files.h"

namespace attnlab {

namespace fs = std::filesystem;

RunLock::RunLock(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  created_ = fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create run directory " + dir + ": " + ec.message());
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open run directory " + dir + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw std::runtime_error("cannot lock run directory " + dir + ": " + std::strerror(err));
    const std::string owner = run_lock_owner(dir);
    throw RunDirBusy("run directory " + dir + " is in use by another attnlab process" +
                     (owner.empty() ? std::string() : " (" + owner + ")") +
                     ": one run directory takes one writer; wait for it to finish, or choose another experiment.name");
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
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const std::time_t now = std::time(nullptr);
  char when[32] = {0};
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  write_file_atomic(dir_ + "/.lock", "pid " + std::to_string(getpid()) + " on host " + host + " since " + when + "\n");
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
