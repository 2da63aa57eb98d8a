#include "core/util/watchdog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace attnlab {

Watchdog::Watchdog(std::chrono::milliseconds limit, std::string message) {
  limit = std::min(limit, std::chrono::milliseconds(std::chrono::hours(24 * 365)));  // wait_for's nanoseconds must not overflow
  thread_ = std::thread([this, limit, message = std::move(message)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (disarmed_.wait_for(lock, limit, [this] { return done_; })) return;
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::fflush(stderr);
    std::_Exit(1);  // the waiting thread cannot be interrupted; nothing it holds needs saving
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  disarmed_.notify_all();
  thread_.join();
}

}  // namespace attnlab
