// A run is never damaged and never misreported: divergence stops a run with nothing non-finite
// saved; a refused command leaves its run directory as it was; one writer per run directory;
// a stop during evaluation is prompt; generated text streams; run and sweep names stay inside
// their folder; a sweep never reuses a run trained with another config, nor lets a variant set
// what the sweep owns.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>

#include "core/util/run_lock.h"
#include "test_util.h"
#include "trainers/checkpoint.h"
#include "trainers/sweep.h"

using namespace attnlab;
using attnlab::testing::read_text;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kTiny = std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml";

attnlab::testing::CommandResult run(const std::string& args, const TempDir& dir) {
  return attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " " + args, dir);
}

// "train kjv_char_tiny.yaml" on small_corpus() in dir, run directory dir/NAME.
std::string tiny_train(const TempDir& dir, const std::string& name) {
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  return "train " + kTiny + " experiment.out_dir=" + dir.path() + " experiment.name=" + name +
         " data.path=" + (dir / "text.txt");
}

// Every file of a directory (recursively) and its bytes.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_text(e.path().string());
  return files;
}

// Sweep::read's error for a sweep file on the tiny GPT with `body`, or "no error".
std::string sweep_read_error(const TempDir& dir, const std::string& body) {
  write_text(dir / "s.yaml", "base: " + kTiny + "\n" + body);
  try {
    Sweep::read(dir / "s.yaml");
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace

TEST_CASE(
    "run safety: a diverged run stops with a non-zero exit, saves nothing non-finite, names a finite checkpoint") {
  TempDir dir;
  const std::string train = tiny_train(dir, "nan");
  // Diverges in its first update: the evaluation after it is NaN.
  auto first = run(train +
                       " optimizer.learning_rate=1e12 schedule.warmup_iters=0 schedule.decay_lr=false"
                       " optimizer.grad_clip=0 trainer.max_iters=1",
                   dir);
  INFO(first.out);
  CHECK(first.status != 0);
  CHECK_THAT(first.err, Contains("at step 1") && Contains("diverged") && Contains("Newest finite checkpoint: none"));
  CHECK_FALSE(fs::exists(dir / "nan/last.pt"));
  CHECK_FALSE(fs::exists(dir / "nan/best.pt"));

  // A healthy run of 3 steps, then resumed at a rate that diverges: its last.pt stays the good one.
  REQUIRE(
      run(tiny_train(dir, "good") + " trainer.max_iters=3 trainer.eval_interval=1 trainer.checkpoint_interval=1", dir)
          .status == 0);
  const std::string good = dir / "good";
  const std::string before = read_text(good + "/last.pt");
  auto resumed = run("train --resume " + good +
                         " optimizer.learning_rate=1e12 schedule.decay_lr=false"
                         " optimizer.grad_clip=0 trainer.max_iters=8",
                     dir);
  INFO(resumed.out);
  CHECK(resumed.status != 0);
  CHECK_THAT(resumed.err, Contains("Newest finite checkpoint: " + good + "/last.pt (step 3)"));
  CHECK(read_text(good + "/last.pt") == before);
  const auto finite = newest_finite_checkpoint(good);
  REQUIRE(finite);
  CHECK(finite->second == 3);
  CHECK(run("eval " + good, dir).status == 0);
}

TEST_CASE("run safety: eval, generate and export refuse a checkpoint with non-finite weights, naming the tensor") {
  TempDir dir;
  REQUIRE(run(tiny_train(dir, "r") + " trainer.max_iters=2", dir).status == 0);
  const std::string run_dir = dir / "r";
  std::string name;  // the tensor made NaN
  {                  // What a diverged run of an older attnlab left: NaN in one weight of last.pt and best.pt.
    Experiment exp = Experiment::read_run(run_dir);
    Assembled a = assemble(exp, run_dir, /*saved_tokenizer=*/true, torch::kCPU);
    load_checkpoint(run_dir + "/last.pt", *a.model.module, nullptr, torch::kCPU);
    torch::NoGradGuard no_grad;
    const auto params = a.model.module->named_parameters();
    name = params.begin()->key();
    params.begin()->value().view(-1)[7] = std::nan("");
    REQUIRE(non_finite_tensor(*a.model.module) == name);
    TrainingState state;
    state.config_yaml = exp.resolved_yaml;
    save_checkpoint(run_dir + "/last.pt", *a.model.module, nullptr, state);
    save_checkpoint(run_dir + "/best.pt", *a.model.module, nullptr, state);
  }
  CHECK_FALSE(newest_finite_checkpoint(run_dir));
  for (const std::string& command :
       std::vector<std::string>{"eval " + run_dir, "generate " + run_dir + " --max-new-tokens 5", "export " + run_dir,
                                "train --resume " + run_dir + " trainer.max_iters=4"}) {
    auto r = run(command, dir);
    INFO(command << "\n" << r.out);
    CHECK(r.status != 0);
    CHECK_THAT(r.err, Contains("non-finite") && Contains("'" + name + "'"));
  }
}

TEST_CASE("run safety: a refused command leaves the run directory byte for byte as it was") {
  TempDir dir;
  const std::string train = tiny_train(dir, "kept");
  REQUIRE(run(train + " trainer.max_iters=3", dir).status == 0);
  const std::string run_dir = dir / "kept";
  const auto before = snapshot(run_dir);
  for (const std::string& command : std::vector<std::string>{
           "train --resume " + run_dir + " model.n_embd=64",                   // a shape the checkpoint does not fit
           "train --resume " + run_dir + " trainer.best_metric=val_accuracy",  // a metric this task lacks
           "train --resume " + run_dir + " model.n_layr=3",                    // a typo
           train + " trainer.max_iters=5"}) {                                  // a new run over a finished one
    auto r = run(command, dir);
    INFO(command << "\n" << r.out);
    CHECK(r.status != 0);
    CHECK(snapshot(run_dir) == before);
  }
  CHECK(run("train --resume " + run_dir + " trainer.max_iters=4", dir).status == 0);  // still usable
  // A new run refused by a check leaves no directory behind.
  auto refused = run(tiny_train(dir, "never") + " trainer.best_metric=val_accuracy", dir);
  CHECK(refused.status != 0);
  CHECK_FALSE(fs::exists(dir / "never"));
}

TEST_CASE("run safety: one writer per run directory, and a killed owner's lock is not stale") {
  TempDir dir;
  const std::string run_dir = dir / "busy";
  {
    RunLock lock(run_dir);
    lock.write_owner();
    CHECK_THAT(read_text(run_dir + "/.lock"), Contains("pid " + std::to_string(getpid())));
    CHECK_THROWS_AS(RunLock(run_dir), RunDirBusy);  // a second writer, even in this process
    auto r = run(tiny_train(dir, "busy") + " trainer.max_iters=2", dir);
    CHECK(r.status != 0);
    CHECK_THAT(r.err, Contains("in use by another attnlab process") && Contains("pid " + std::to_string(getpid())));
    CHECK_FALSE(fs::exists(run_dir + "/config.yaml"));
  }
  CHECK_FALSE(fs::exists(run_dir + "/.lock"));
  // A process that dies holding the lock (no destructor runs) frees it with its death.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    RunLock lock(run_dir);
    lock.write_owner();
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  CHECK(fs::exists(run_dir + "/.lock"));  // its record is left behind, but not its lock
  CHECK_NOTHROW(RunLock(run_dir));

  // Two trainings into one directory at the same moment: one trains, the other is refused.
  const std::string train = tiny_train(dir, "twice") + " trainer.max_iters=30 trainer.log_interval=1";
  const std::string both = "(" + std::string(ATTNLAB_BIN) + " " + train + " optimizer.learning_rate=1e-3 > " +
                           (dir / "a.out") + " 2>&1; echo $? > " + (dir / "a.rc") + ") & (" + ATTNLAB_BIN + " " +
                           train + " optimizer.learning_rate=3e-3 > " + (dir / "b.out") + " 2>&1; echo $? > " +
                           (dir / "b.rc") + ") & wait";
  REQUIRE(std::system(both.c_str()) == 0);
  const int a = std::stoi(read_text(dir / "a.rc")), b = std::stoi(read_text(dir / "b.rc"));
  INFO(read_text(dir / "a.out") << read_text(dir / "b.out"));
  CHECK(a + b != 0);
  CHECK((a == 0 || b == 0));
  std::vector<int64_t> steps;
  for (const auto& r : attnlab::testing::read_metrics(dir / "twice/metrics.jsonl"))
    if (!r.contains("val_loss")) steps.push_back(r.at("step").get<int64_t>());
  CHECK(steps.size() == 30);  // one run's records, none twice
  for (size_t i = 1; i < steps.size(); ++i) CHECK(steps[i] == steps[i - 1] + 1);
}

TEST_CASE("run safety: a new run in a directory left by a run killed before its first checkpoint starts clean") {
  TempDir dir;
  write_text(dir / "fresh/metrics.jsonl", "{\"step\":0,\"val_loss\":4.5}\n{\"step\":1,\"loss\":4.4}\n");
  write_text(dir / "fresh/best.pt", "from the killed run");
  REQUIRE(run(tiny_train(dir, "fresh") + " trainer.max_iters=2 trainer.eval_interval=100", dir).status == 0);
  const auto records = attnlab::testing::read_metrics(dir / "fresh/metrics.jsonl");
  int step0_evals = 0;
  for (const auto& r : records) step0_evals += r.contains("val_loss") && r.at("step") == 0;
  CHECK(step0_evals == 1);
  CHECK(records.front().at("step") == 0);
  CHECK(read_text(dir / "fresh/best.pt") != "from the killed run");
}

TEST_CASE("run safety: SIGTERM during a long evaluation stops the run within seconds, and it resumes") {
  TempDir dir;
  const std::string out = dir / "out.txt";
  // The baseline evaluation at step 0 would take hours: the signal must cut it short.
  write_text(dir / "stop.sh", std::string(ATTNLAB_BIN) + " " + tiny_train(dir, "long") +
                                  " trainer.eval_iters=1000000 > " + out +
                                  " 2>&1 &\n"
                                  "pid=$!\n"
                                  "trap 'kill -9 $pid 2>/dev/null' EXIT\n"
                                  // In the evaluation: past the model's line, with the stop handler installed.
                                  "until grep -q '^model:' " +
                                  out +
                                  " && [ $(( 0x$(awk '/SigCgt/ {print $2}' /proc/$pid/status)"
                                  " & 0x4000 )) -ne 0 ]; do sleep 0.05; done\n"
                                  "start=$(date +%s)\n"
                                  "kill -TERM $pid\n"
                                  "wait $pid\n"
                                  "echo \"rc=$? s=$(( $(date +%s) - start ))\"\n");
  auto r = attnlab::testing::run_command("timeout 120 bash " + (dir / "stop.sh"), dir);
  INFO(read_text(out) << r.out);
  const std::string text = read_text(out);
  CHECK_THAT(text, Contains("SIGTERM received: stopped at step 0"));
  CHECK_THAT(r.out, Contains("rc=143"));
  const auto s = r.out.find("s=");
  REQUIRE(s != std::string::npos);
  CHECK(std::stoi(r.out.substr(s + 2)) <= 10);
  CHECK(fs::exists(dir / "long/last.pt"));

  // Stopped in the evaluation of its last step: the resumed run evaluates that step (and saves
  // it) instead of ending with the previous evaluation as its result.
  REQUIRE(run(tiny_train(dir, "final") + " trainer.max_iters=2 trainer.eval_iters=2", dir).status == 0);
  write_text(dir / "final.sh", std::string(ATTNLAB_BIN) + " train --resume " + (dir / "final") +
                                   " trainer.max_iters=4 trainer.log_interval=1 trainer.eval_iters=1000000 > " +
                                   (dir / "final.txt") + " 2>&1 &\npid=$!\ntrap 'kill -9 $pid 2>/dev/null' EXIT\n" +
                                   "until grep -q '\"step\":4,' " + (dir / "final/metrics.jsonl") +
                                   "; do sleep 0.05; done\nkill -TERM $pid\nwait $pid\necho rc=$?\n");
  auto stopped = attnlab::testing::run_command("timeout 120 bash " + (dir / "final.sh"), dir);
  INFO(read_text(dir / "final.txt"));
  CHECK_THAT(stopped.out, Contains("rc=143"));
  CHECK_THAT(read_text(dir / "final.txt"), Contains("stopped at step 4"));
  REQUIRE(run("train --resume " + (dir / "final") + " trainer.eval_iters=2", dir).status == 0);
  int final_evals = 0;
  for (const auto& r : attnlab::testing::read_metrics(dir / "final/metrics.jsonl"))
    final_evals += r.contains("val_loss") && r.at("step") == 4;
  CHECK(final_evals == 1);
  CHECK(load_checkpoint(dir / "final/last.pt", *attnlab::testing::trained_model(dir / "final"), nullptr, torch::kCPU)
            .evaluated_step == 4);
}

TEST_CASE("run safety: generate streams its text as it is drawn") {
  TempDir dir;
  REQUIRE(run(tiny_train(dir, "g") + " trainer.max_iters=2", dir).status == 0);
  // A billion tokens would take hours: the first 300 bytes arrive at once, and the pipe's end stops it.
  auto r = attnlab::testing::run_command("timeout 60 sh -c '" + std::string(ATTNLAB_BIN) + " generate " + (dir / "g") +
                                             " --prompt and --max-new-tokens 1000000000 | head -c 300 > " +
                                             (dir / "head.txt") + "'; echo rc=$?",
                                         dir);
  CHECK_THAT(r.out, Contains("rc=0"));
  const std::string head = read_text(dir / "head.txt");
  CHECK(head.size() == 300);
  CHECK(head.rfind("and", 0) == 0);  // the prompt and its continuation, nothing before (the report is on stderr)
  // Also where SIGPIPE is ignored (a parent's setting, inherited): the write error stops it.
  auto ignored = attnlab::testing::run_command("timeout 60 sh -c 'trap \"\" PIPE; " + std::string(ATTNLAB_BIN) +
                                                   " generate " + (dir / "g") +
                                                   " --prompt and --max-new-tokens 1000000000 | head -c 300 > /dev/null'"
                                                   " 2>&1; echo rc=$?",
                                               dir);
  CHECK_THAT(ignored.out, Contains("rc=0") && Contains("cannot write to stdout"));
  // The streamed text is the text: a short run prints exactly what the recipe returns.
  auto streamed = run("generate " + (dir / "g") + " --prompt and --max-new-tokens 50 --seed 3", dir);
  GenerateRequest g;
  g.run_dir = dir / "g", g.prompt = "and", g.max_new_tokens = 50, g.seed = 3;
  CHECK(streamed.out.rfind(generate(g) + "\n", 0) == 0);  // stdout first: the text alone
  // Flags are parsed with their ranges.
  for (const std::string& flag :
       std::vector<std::string>{"--max-new-tokens 99999999999999999999", "--max-new-tokens -1", "--top-k -5",
                                "--seed -1", "--temperature nan", "--temperature -1", "--temperature 1e-39"}) {
    auto bad = run("generate " + (dir / "g") + " " + flag, dir);
    INFO(flag << ": " << bad.err);
    CHECK(bad.status != 0);
    CHECK_THAT(bad.err, Contains(flag.substr(0, flag.find(' '))));
  }
}

TEST_CASE("run safety: run names and sweep names are one directory inside their folder") {
  TempDir dir;
  for (const std::string& name : std::vector<std::string>{"..", ".", "a/b", "x y", "../escape"}) {
    auto r = run(tiny_train(dir, "'" + name + "'") + " trainer.max_iters=1", dir);
    INFO(name << ": " << r.err);
    CHECK(r.status != 0);
    CHECK_THAT(r.err, Contains("experiment.name") && Contains("one directory name"));
  }
  auto empty_out = run("train " + kTiny + " experiment.out_dir= data.path=" + (dir / "text.txt"), dir);
  CHECK(empty_out.status != 0);
  CHECK_THAT(empty_out.err, Contains("experiment.out_dir"));
  CHECK_FALSE(fs::exists(fs::path(dir.path()).parent_path() / "escape"));

  auto sweep_error = [&](const std::string& body) { return sweep_read_error(dir, body); };
  CHECK_THAT(sweep_error("variants: {'..': {}}\n"), Contains("s.yaml:2") && Contains("variant name '..'"));
  CHECK_THAT(sweep_error("variants: {a/b: {}}\n"), Contains("variant name 'a/b'"));
  CHECK_THAT(sweep_error("grid: {data.path: [x/y.txt]}\n"), Contains("s.yaml:2") && Contains("grid value 'x/y.txt'"));
}

TEST_CASE("run safety: a sweep owns its runs' names, seeds and budget, and parses its budget strictly") {
  TempDir dir;
  auto sweep_error = [&](const std::string& body) { return sweep_read_error(dir, body); };
  CHECK_THAT(sweep_error("budget: {steps: 5}\nvariants: {a: {trainer.max_iters: 9}}\n"),
             Contains("s.yaml:3") && Contains("'trainer.max_iters' is set by the sweep's `budget: {steps}`"));
  CHECK(sweep_error("variants: {a: {trainer.max_iters: 9}}\n") == "no error");  // no budget: the variant's own
  CHECK_THAT(sweep_error("variants: {a: {experiment.name: x}}\n"), Contains("'experiment.name' is set by the sweep"));
  CHECK_THAT(sweep_error("variants: {a: {experiment.out_dir: x}}\n"), Contains("'experiment.out_dir' is set by"));
  CHECK_THAT(sweep_error("grid: {experiment.seed: [1, 2]}\n"),
             Contains("'experiment.seed' is set by the sweep's `seeds:`"));
  CHECK_THAT(sweep_error("overrides: {experiment.seed: 3}\n"), Contains("'experiment.seed'"));
  CHECK_THAT(sweep_error("budget: {minutes: 5}\ngrid: {trainer.max_minutes: [1, 2]}\n"), Contains("budget: {minutes}"));
  for (const std::string& bad : std::vector<std::string>{"{minutes: nan}", "{minutes: 12abc}", "{minutes: abc}",
                                                         "{minutes: -1}", "{minutes: inf}"})
    CHECK_THAT(sweep_error("budget: " + bad + "\n"),
               Contains("s.yaml:2") && Contains("budget.minutes must be a positive number"));
  CHECK_THAT(sweep_error("budget: {steps: 0}\n"), Contains("budget.steps must be at least 1"));
}

TEST_CASE("run safety: compare refuses a run trained with another config than its variant now has") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  auto sweep = [&](int width) {
    write_text(dir / "s.yaml", "base: " + kTiny + "\nout_dir: " + (dir / "out") + "\nbudget: {steps: 2}\n" +
                                   "overrides: {data.path: " + (dir / "text.txt") + "}\n" +
                                   "variants:\n  base: {}\n  wide: {model.n_embd: " + std::to_string(width) + "}\n");
    return dir / "s.yaml";
  };
  CompareRequest first{sweep(64), ""};
  REQUIRE(compare(first).trained == 2);
  CompareRequest edited{sweep(48), ""};  // the variant "wide" now means something else
  try {
    compare(edited);
    FAIL("the stale run was reused");
  } catch (const std::exception& e) {
    CHECK_THAT(std::string(e.what()), Contains("wide seed 1337") && Contains("model.n_embd: 64 -> 48") &&
                                          Contains("--retrain-changed") && !Contains("base seed"));
  }
  edited.retrain_changed = true;
  const CompareSummary s = compare(edited);
  CHECK(s.trained == 1);
  CHECK(s.skipped == 1);
  CHECK_THAT(read_text(dir / "out/wide/seed1337/config.yaml"), Contains("n_embd: 48"));
}

TEST_CASE("run safety: compare checks the sweep's metric against what the task reports, before training") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  write_text(dir / "s.yaml", "base: " + kTiny + "\nout_dir: " + (dir / "out") + "\nbudget: {steps: 2}\n" +
                                 "metric: val_nosuch\noverrides: {data.path: " + (dir / "text.txt") + "}\n");
  for (bool dry_run : {true, false}) {
    CompareRequest r{dir / "s.yaml", ""};
    r.dry_run = dry_run;
    CHECK_THROWS_WITH(compare(r),
                      Contains("metric 'val_nosuch' is not reported by variant 'base'") && Contains("val_loss"));
  }
  CHECK_FALSE(fs::exists(dir / "out"));
}
