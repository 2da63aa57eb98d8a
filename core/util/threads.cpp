#include "core/util/threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>

#include "core/util/core_share.h"

namespace attnlab {

namespace {
// OpenBLAS (pthread build) keeps its own thread pool, which LibTorch's set_num_threads does
// not reach. Found at run time, so other BLAS libraries and official LibTorch builds work too.
template <class Fn>
Fn openblas_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// What configure_threads set up, and the adaptation under threads: auto.
struct Pools {
  std::mutex mutex;
  std::atomic<bool> adaptive{false};
  bool bf16 = false;
  int max_threads = 1;
  ThreadCounts now;
  std::vector<int> cpus;
  std::optional<CoreShare> share;
  std::chrono::steady_clock::time_point next_poll;
};
Pools& pools() {
  static Pools p;
  return p;
}
constexpr std::chrono::milliseconds kPollInterval{250};

// OpenBLAS's thread count, when the BLAS is OpenBLAS (null otherwise).
void (*const set_blas)(int) = openblas_symbol<void (*)(int)>("openblas_set_num_threads");
int (*const get_blas)() = openblas_symbol<int (*)()>("openblas_get_num_threads");

// Splits `n` threads between the pools (see configure_threads) and records what is in effect.
void set_split(Pools& p, int n) {
  torch::set_num_threads(p.bf16 ? n : 1);
  if (set_blas) set_blas(p.bf16 ? 1 : n);
  p.now.threads = n;
  p.now.intra_op = torch::get_num_threads();
  p.now.blas = get_blas ? get_blas() : -1;
  p.now.configured = p.max_threads;
  p.now.adaptive = p.adaptive;
}
}  // namespace

std::string ThreadCounts::str() const {
  return std::to_string(intra_op) + " (" + (blas > 0 ? "BLAS " + std::to_string(blas) : "no OpenBLAS") +
         (adaptive ? ", auto: fewer while other processes use the cores)" : ")");
}

ThreadCounts configure_threads(int64_t threads, const std::string& precision, int64_t processes_per_machine) {
  Pools& p = pools();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.cpus = usable_cpus();
  const auto cpus = static_cast<int64_t>(p.cpus.size());
  const bool adaptive = threads == 0;
  if (threads > cpus)
    std::fprintf(stderr,
                 "note: experiment.threads %lld is more than the %lld cores this process may use; the extra threads "
                 "only wait for each other (threads: auto follows the free cores)\n",
                 static_cast<long long>(threads), static_cast<long long>(cpus));
  p.max_threads = static_cast<int>(adaptive ? std::max<int64_t>(1, cpus / std::max<int64_t>(1, processes_per_machine))
                                            : std::max<int64_t>(1, threads));
  p.bf16 = precision == "bf16";
  p.adaptive = adaptive;
  set_split(p, p.max_threads);
  p.share.reset();
  if (adaptive) p.share.emplace(static_cast<int>(cpus), p.max_threads, sample_load(p.cpus));
  p.next_poll = std::chrono::steady_clock::now() + kPollInterval;
  return p.now;
}

void adapt_threads() {
  Pools& p = pools();
  if (!p.adaptive.load(std::memory_order_relaxed)) return;
  std::unique_lock<std::mutex> lock(p.mutex, std::try_to_lock);  // another thread is at it
  if (!lock.owns_lock() || !p.share) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < p.next_poll) return;
  p.next_poll = now + kPollInterval;
  const int before = p.share->threads();
  const int n = p.share->update(sample_load(p.cpus));
  if (n != before) set_split(p, n);
}

SingleThreadScope::SingleThreadScope() {
  Pools& p = pools();
  std::lock_guard<std::mutex> lock(p.mutex);
  adaptive_ = p.adaptive.exchange(false);
  intra_op_ = torch::get_num_threads();
  blas_ = get_blas ? get_blas() : -1;
  torch::set_num_threads(1);
  if (set_blas) set_blas(1);
}

SingleThreadScope::~SingleThreadScope() {
  Pools& p = pools();
  std::lock_guard<std::mutex> lock(p.mutex);
  torch::set_num_threads(intra_op_);
  if (set_blas && blas_ > 0) set_blas(blas_);
  p.adaptive = adaptive_;
}

ThreadCounts current_threads() {
  Pools& p = pools();
  std::lock_guard<std::mutex> lock(p.mutex);
  return p.now;
}

void apply_thread_count(int n) {
  Pools& p = pools();
  std::lock_guard<std::mutex> lock(p.mutex);
  set_split(p, std::clamp(n, 1, p.max_threads));
}

}  // namespace attnlab
