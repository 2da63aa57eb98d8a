// The CPU thread pools a run computes on, LibTorch's intra-op (OpenMP) pool and OpenBLAS's,
// and how `experiment.threads` sizes them: a fixed count, or `auto`, which follows the cores
// that other processes leave free (core/util/core_share.h) so that a busy core beside a run
// costs it that core's share and not a stall on every parallel region (docs/bench.md).
#pragma once

#include <cstdint>
#include <string>

namespace attnlab {

struct ThreadCounts {
  int intra_op = 1;       // LibTorch's own (OpenMP) threads
  int blas = -1;          // OpenBLAS's thread pool; -1 when the BLAS is not OpenBLAS
  bool adaptive = false;  // threads: auto, so adapt_threads() may lower (and restore) the counts
  int configured = 1;     // the cores configure_threads gave the run; adapt_threads stays at or below
  int threads = 1;        // the threads the precision's computing pool was given (any BLAS)
  int computing() const { return threads; }
  std::string str() const;  // "1 (BLAS 2)", "2 (BLAS 1, auto: fewer while other processes use the cores)"
};

// Sizes the pools for `threads` cores, or for `threads` = 0 (auto) the CPUs this process may
// run on divided by `processes_per_machine` and adapted to the load from then on. The cores go
// to one pool, by precision, so that the pools never compete for a core:
//   fp32: OpenBLAS `threads` threads (it runs the float32 matrix products), LibTorch 1;
//   bf16: LibTorch `threads` threads (oneDNN runs the bf16 products on them), OpenBLAS 1.
// Measured on 2 cores: fp32 with both pools at 2 threads is 2.5x slower than this split.
ThreadCounts configure_threads(int64_t threads, const std::string& precision = "fp32",
                               int64_t processes_per_machine = 1);

// Under threads: auto, matches the pools to the cores other processes leave free (at most the
// configured count, at least 1). Call it between operations on the thread that computes (the
// OpenMP count belongs to the calling thread): every training step, evaluation batch and
// decoded token does. Cheap: it reads /proc/stat at most every 250 ms; a no-op otherwise.
void adapt_threads();

// The counts in effect now (configure_threads's, or as adapt_threads left them).
ThreadCounts current_threads();

// One thread in both pools while it lives, then the counts as they were (adapt_threads holds
// off meanwhile). For batch-1 decoding, whose operators are too small to split: a second
// thread only adds synchronisation (a window GPT's 2,000 tokens: 1,030-1,538 tokens/s on 2
// threads, 1,772-1,851 on 1; docs/bench.md).
class SingleThreadScope {
 public:
  SingleThreadScope();
  ~SingleThreadScope();
  SingleThreadScope(const SingleThreadScope&) = delete;
  SingleThreadScope& operator=(const SingleThreadScope&) = delete;

 private:
  int intra_op_ = 1, blas_ = -1;
  bool adaptive_ = false;
};

// Sets the pools as configure_threads's split does for `n` threads, within the configured
// count; what adapt_threads applies (exposed for tests).
void apply_thread_count(int n);

}  // namespace attnlab
