// SIGINT/SIGTERM as a request to stop at the next safe point: while a StopSignals lives,
// the signals only raise a flag that long operations (training, export) poll. LibTorch-free.
#pragma once

#include <csignal>
#include <stdexcept>

namespace attnlab {

class StopSignals {
 public:
  StopSignals();   // clears the flag and installs the handlers
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  int raised() const;  // the signal received since construction, or 0

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// The signal received while a StopSignals lives, or 0: for loops that run inside one without a
// handle to it (evaluation batches, decoded tokens), which then throw StopRequested.
int stop_signal_raised();

// A loop stopped on SIGINT/SIGTERM; caught by whoever installed the StopSignals.
struct StopRequested : std::runtime_error {
  explicit StopRequested(int sig) : std::runtime_error("stopped by a signal"), signal(sig) {}
  int signal;
};

// "SIGINT", "SIGTERM" or "a signal".
const char* signal_name(int sig);

}  // namespace attnlab
