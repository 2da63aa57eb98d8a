#include "core/util/core_share.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace attnlab {

double cpus_busy_seconds(std::istream& proc_stat, const std::vector<int>& cpus, double ticks_per_s) {
  std::vector<double> busy(cpus.size(), -1.0);
  size_t found = 0;
  for (std::string line; found < cpus.size() && std::getline(proc_stat, line);) {
    if (line.compare(0, 3, "cpu") != 0 || line.size() < 4 || !std::isdigit(static_cast<unsigned char>(line[3])))
      continue;  // the "cpu" total line, intr, ctxt, ...
    std::istringstream in(line.substr(3));
    int cpu = -1;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;  // steal: 0 if absent
    const auto it = std::find(cpus.begin(), cpus.end(), cpu);
    if (it == cpus.end()) continue;
    busy[static_cast<size_t>(it - cpus.begin())] = (user + nice + system + irq + softirq + steal) / ticks_per_s;
    ++found;
  }
  double total = 0;
  for (size_t i = 0; i < cpus.size(); ++i) {
    if (busy[i] < 0) throw std::runtime_error("/proc/stat has no line for cpu" + std::to_string(cpus[i]));
    total += busy[i];
  }
  return total;
}

std::vector<int> usable_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  if (cpus.empty()) {  // no affinity to read: every online CPU
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < std::max(1L, n); ++c) cpus.push_back(c);
  }
  return cpus;
}

namespace {
double clock_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

LoadSample sample_load(const std::vector<int>& cpus) {
  LoadSample s;
  s.wall_s = clock_seconds(CLOCK_MONOTONIC);
  s.own_cpu_s = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
  s.cpus_busy_s = s.own_cpu_s;
  static const double ticks_per_s = static_cast<double>(std::max(1L, sysconf(_SC_CLK_TCK)));
  std::ifstream proc_stat("/proc/stat");
  if (proc_stat) {
    try {
      s.cpus_busy_s = cpus_busy_seconds(proc_stat, cpus, ticks_per_s);
    } catch (const std::exception&) {  // a CPU went offline: see no load rather than stop a run
    }
  }
  return s;
}

int next_thread_count(int current, double free_cores, int max_threads) {
  // A core counts as taken once other processes use half of it, and as free again once they
  // use less than 0.3 of it. While our threads spin beside a busy loop they keep a third of
  // its core, so the loop shows as 0.67 of a core: the lower bar leaves room for that.
  const int down = static_cast<int>(std::floor(free_cores + 0.5));
  const int up = static_cast<int>(std::floor(free_cores + 0.3));
  int next = current;
  if (down < current)
    next = down;
  else if (up > current)
    next = up;
  return std::clamp(next, 1, std::max(1, max_threads));
}

CoreShare::CoreShare(int cpus, int max_threads, const LoadSample& start)
    : cpus_(cpus), max_threads_(std::max(1, max_threads)), threads_(max_threads_), last_(start) {}

int CoreShare::update(const LoadSample& now) {
  const double wall = now.wall_s - last_.wall_s;
  if (wall <= 0) return threads_;
  // /proc/stat counts in ticks (10 ms): a short window's share is coarse, hence the smoothing.
  const double other = std::clamp(((now.cpus_busy_s - last_.cpus_busy_s) - (now.own_cpu_s - last_.own_cpu_s)) / wall,
                                  0.0, static_cast<double>(cpus_));
  other_ = measured_ ? 0.3 * other_ + 0.7 * other : other;
  measured_ = true;
  last_ = now;
  threads_ = next_thread_count(threads_, cpus_ - other_, max_threads_);
  return threads_;
}

}  // namespace attnlab
