// How many compute threads to run when other processes share the CPU cores (`threads: auto`).
// LibTorch's OpenMP pool and OpenBLAS's pool split their work statically between threads, so
// one thread that waits for a core stalls the rest: on 2 cores with one busy loop beside it, a
// 2-thread bf16 step took 4-45x its quiet time while 1 thread took 1.0x of its own (docs/bench.md).
// CoreShare measures the cores that *other* processes use (/proc/stat's busy time on the CPUs
// this process may run on, less this process's own CPU time) and keeps the thread count at the
// cores left free. LibTorch-free; the thread pools are set in core/util/threads.h.
#pragma once

#include <istream>
#include <vector>

namespace attnlab {

// Cumulative counters at one instant, in seconds.
struct LoadSample {
  double wall_s = 0;       // a monotonic clock
  double cpus_busy_s = 0;  // busy time of the watched CPUs, summed over them (every process)
  double own_cpu_s = 0;    // CPU time of this process, every thread
};

// Busy seconds of the CPUs listed (by number) in a /proc/stat text: user + nice + system + irq +
// softirq + steal of each `cpuN` line (guest time is inside user already); idle and iowait
// are free. `ticks_per_s` is USER_HZ. Throws std::runtime_error when a listed CPU is missing.
double cpus_busy_seconds(std::istream& proc_stat, const std::vector<int>& cpus, double ticks_per_s);

// The CPUs this process may run on (sched_getaffinity), e.g. {0, 1}; never empty.
std::vector<int> usable_cpus();

// Reads the counters now (/proc/stat, CLOCK_PROCESS_CPUTIME_ID, CLOCK_MONOTONIC). Where
// /proc/stat cannot be read, cpus_busy_s stays equal to own_cpu_s (no other load is seen).
LoadSample sample_load(const std::vector<int>& cpus);

// The decision, from successive samples: starts at `max_threads`; each update() measures the
// cores other processes used since the previous sample (smoothed: 0.7 new, 0.3 before) and
// moves the count to the cores left free (next_thread_count).
class CoreShare {
 public:
  CoreShare(int cpus, int max_threads, const LoadSample& start);
  int update(const LoadSample& now);  // the thread count to run with from now on
  int threads() const { return threads_; }
  int max_threads() const { return max_threads_; }
  double other_cores() const { return other_; }  // smoothed; 0 before the first update

 private:
  int cpus_, max_threads_, threads_;
  LoadSample last_;
  double other_ = 0;
  bool measured_ = false;
};

// The count that `free_cores` supports, moving from `current`, within [1, max_threads]: down
// to round(free_cores) once other processes use half a core, up only once they use less
// than 0.3 of it (so that the count does not flap between two values).
int next_thread_count(int current, double free_cores, int max_threads);

}  // namespace attnlab
