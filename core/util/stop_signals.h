// SIGINT/SIGTERM as a request to stop at the next safe point: while a StopSignals lives,
// the signals only raise a flag that long operations (training, export) poll. LibTorch-free.
#pragma once

#include <csignal>

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

// "SIGINT", "SIGTERM" or "a signal".
const char* signal_name(int sig);

}  // namespace attnlab
