// A deadline for a wait that cannot be cancelled (a blocked connect inside c10d's TCPStore, a
// peer that accepts and never answers): if the Watchdog still lives `limit` after it was made,
// it prints `message` to stderr and ends the process with exit status 1, so a stated timeout
// holds and the failure is a sentence, not a hang. Destroying it in time disarms it.
// LibTorch-free.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace attnlab {

class Watchdog {
 public:
  Watchdog(std::chrono::milliseconds limit, std::string message);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable disarmed_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace attnlab
