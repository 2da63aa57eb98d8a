#include "core/util/stop_signals.h"

#include <atomic>

namespace attnlab {

namespace {
std::atomic<int> g_stop_signal{0};
std::atomic<int> g_installed{0};  // StopSignals alive
extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }
}  // namespace

StopSignals::StopSignals() {
  g_stop_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
  ++g_installed;
}

StopSignals::~StopSignals() {
  --g_installed;
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int StopSignals::raised() const { return g_stop_signal.load(); }

int stop_signal_raised() { return g_installed.load() > 0 ? g_stop_signal.load() : 0; }

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

}  // namespace attnlab
