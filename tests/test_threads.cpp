// threads: auto on a shared machine: the load measured from /proc/stat, the thread count it
// leads to, the pools set to it, and the policy reported by a run (core/util/core_share.h,
// core/util/threads.h).
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <dlfcn.h>
#include <chrono>
#include <sstream>
#include <thread>

#include "core/util/core_share.h"
#include "core/util/threads.h"
#include "test_paths.h"
#include "test_util.h"

using namespace attnlab;
using Catch::Matchers::Contains;

TEST_CASE("cpus_busy_seconds: busy ticks of the listed CPUs in /proc/stat, idle and iowait free") {
  const std::string stat =
      "cpu  300 10 100 1000 50 5 5 10 0 0\n"
      "cpu0 100 10 50 500 20 5 5 10 7 0\n"  // guest (7) is already inside user
      "cpu1 200 0 50 500 30 0 0 0 0 0\n"
      "cpu3 1 1 1 1 1 1 1\n"  // an old kernel: no steal column
      "intr 123456 1 2 3\n"
      "ctxt 999\n";
  auto busy = [&](std::vector<int> cpus) {
    std::istringstream in(stat);
    return cpus_busy_seconds(in, cpus, 100.0);
  };
  CHECK(busy({0}) == Approx((100 + 10 + 50 + 5 + 5 + 10) / 100.0));  // 1.8 s
  CHECK(busy({1}) == Approx(2.5));
  CHECK(busy({0, 1}) == Approx(4.3));
  CHECK(busy({3}) == Approx(0.05));
  CHECK_THROWS_WITH(busy({0, 2}), Contains("cpu2"));
}

TEST_CASE("next_thread_count: down once half a core is taken, up once less than 0.3 is, within [1, max]") {
  CHECK(next_thread_count(2, 2.0, 2) == 2);   // quiet
  CHECK(next_thread_count(2, 1.33, 2) == 1);  // a busy loop beside 2 spinning threads takes 2/3 of a core
  CHECK(next_thread_count(1, 1.0, 2) == 1);   // ... and a whole one beside 1 thread
  CHECK(next_thread_count(1, 1.9, 2) == 2);   // it ended
  CHECK(next_thread_count(2, 1.55, 2) == 2);  // less than half a core taken: stay
  CHECK(next_thread_count(2, 1.45, 2) == 1);  // more: go down
  CHECK(next_thread_count(1, 1.65, 2) == 1);  // between 0.3 and 0.5 taken: stay where it is
  CHECK(next_thread_count(1, 1.75, 2) == 2);  // less than 0.3: go up
  CHECK(next_thread_count(1, 7.5, 4) == 4);   // never above the configured count
  CHECK(next_thread_count(4, 0.0, 4) == 1);   // never below one
  CHECK(next_thread_count(1, 3.55, 4) == 3);  // several at once
  CHECK(next_thread_count(8, 2.45, 8) == 2);
  CHECK(next_thread_count(16, 15.06, 16) == 15);  // one busy loop on 16 cores: 16/17 of a core
  CHECK(next_thread_count(15, 15.0, 16) == 15);
}

TEST_CASE("CoreShare: gives a core up while another process uses it, takes it back when it stops") {
  // 2 CPUs. Each sample is cumulative: wall, busy time of both CPUs, this process's CPU time.
  LoadSample s{0, 0, 0};
  CoreShare share(2, 2, s);
  auto after = [&](double wall, double busy, double own) {
    s = {s.wall_s + wall, s.cpus_busy_s + busy, s.own_cpu_s + own};
    return share.update(s);
  };
  CHECK(share.threads() == 2);
  CHECK(after(0.25, 0.5, 0.5) == 2);  // both CPUs busy, all of it ours: nothing else runs
  CHECK(share.other_cores() == Approx(0.0));
  CHECK(after(0.25, 0.5, 0.333) == 2);  // a busy loop took 2/3 of a core from our two threads:
  CHECK(share.other_cores() == Approx(0.7 * 0.668).margin(0.01));  // 0.47 smoothed, not yet half
  CHECK(after(0.25, 0.5, 0.333) == 1);                             // 0.61: one core is left
  CHECK(after(0.25, 0.5, 0.25) == 1);                              // one thread of ours, one core of theirs
  CHECK(share.other_cores() == Approx(0.88).margin(0.01));
  CHECK(after(0.25, 0.25, 0.25) == 2);  // it ended: 0.26 smoothed, the core is back
  CHECK(after(0.0, 0.0, 0.0) == 2);     // no time passed: no decision
  // Counters that /proc/stat rounds (10 ms ticks) below our own precise CPU time read as no load.
  const double before = share.other_cores();
  CHECK(after(0.25, 0.48, 0.5) == 2);
  CHECK(share.other_cores() == Approx(0.3 * before));  // the window counts as 0, not as -0.08 cores
}

TEST_CASE("sample_load sees another process's busy core on this process's CPUs") {
  const std::vector<int> cpus = usable_cpus();
  REQUIRE(!cpus.empty());
  const LoadSample start = sample_load(cpus);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // a busy loop, the other process (killed below; bounded by alarm regardless)
    alarm(20);
    for (volatile unsigned long i = 0;; i = i + 1) {
    }
  }
  CoreShare share(static_cast<int>(cpus.size()), static_cast<int>(cpus.size()), start);
  // Two measuring windows, idle here, so that the child's core shows in the counters.
  for (int window = 0; window < 2; ++window) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    share.update(sample_load(cpus));
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const LoadSample end = sample_load(cpus);
  INFO("other cores " << share.other_cores() << " of " << cpus.size());
  CHECK(end.wall_s > start.wall_s);
  CHECK(end.cpus_busy_s >= start.cpus_busy_s + 0.4);  // the child's 0.6 s, in 10 ms ticks
  CHECK(share.other_cores() >= 0.6);
  if (cpus.size() == 2) CHECK(share.threads() == 1);
}

TEST_CASE("configure_threads: a fixed count stays, auto adapts within the CPUs, one pool at a time") {
  const int cpus = static_cast<int>(usable_cpus().size());
  const ThreadCounts fixed = configure_threads(2, "bf16");
  CHECK_FALSE(fixed.adaptive);
  CHECK(fixed.intra_op == 2);
  CHECK(fixed.configured == 2);
  CHECK_THAT(fixed.str(), !Contains("auto"));

  const ThreadCounts bf16 = configure_threads(0, "bf16");
  CHECK(bf16.adaptive);
  CHECK(bf16.configured == cpus);
  CHECK(bf16.intra_op == cpus);
  if (bf16.blas > 0) CHECK(bf16.blas == 1);
  CHECK_THAT(bf16.str(), Contains("auto: fewer while other processes use the cores"));
  apply_thread_count(1);  // what adapt_threads does when the other processes leave one core
  CHECK(torch::get_num_threads() == 1);
  CHECK(current_threads().computing() == 1);
  CHECK(current_threads().configured == cpus);
  apply_thread_count(cpus + 5);  // and never more than configured
  CHECK(torch::get_num_threads() == cpus);

  const ThreadCounts fp32 = configure_threads(0, "fp32");
  CHECK(fp32.intra_op == 1);
  if (fp32.blas > 0) {
    CHECK(fp32.blas == cpus);
    apply_thread_count(1);
    CHECK(current_threads().blas == 1);
    CHECK(torch::get_num_threads() == 1);
  }
  // auto shares the machine among the processes of a distributed run on it.
  CHECK(configure_threads(0, "fp32", 2).configured == std::max(1, cpus / 2));

  // Batch-1 decoding runs on one thread in both pools, then the split comes back as it was.
  const ThreadCounts split = configure_threads(2, "bf16");
  {
    SingleThreadScope one;
    CHECK(torch::get_num_threads() == 1);
    static const auto get_blas = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    if (get_blas) CHECK(get_blas() == 1);
  }
  CHECK(torch::get_num_threads() == split.intra_op);
  configure_threads(1, "fp32");
}

TEST_CASE("CLI: threads auto is reported at the start and in metrics.jsonl") {
  attnlab::testing::TempDir dir;
  attnlab::testing::write_text(dir / "text.txt", attnlab::testing::small_corpus());
  auto r = attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " train " + ATTNLAB_SOURCE_DIR +
                                             "/configs/gpt/kjv_char_tiny.yaml experiment.threads=auto"
                                             " trainer.max_iters=4 trainer.log_interval=2 experiment.out_dir=" +
                                             dir.path() + " data.path=" + (dir / "text.txt"),
                                         dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("auto: fewer while other processes use the cores"));
  const std::string metrics = attnlab::testing::read_text(dir / "kjv_char_tiny/metrics.jsonl");
  CHECK_THAT(metrics, Contains("\"threads\":"));
}
