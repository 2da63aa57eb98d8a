// Sweeps and `attnlab compare`: expansion of variants x grid x seeds, strict validation,
// an interrupted sweep that resumes to the same table, the report rebuilt from existing runs,
// FLOP counting and the wall-clock budget.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "core/config/node.h"
#include "core/util/flop_counter.h"
#include "core/util/rgb_image.h"
#include "test_util.h"
#include "trainers/sweep.h"
#include "trainers/sweep_report.h"

using namespace attnlab;
using attnlab::testing::read_text;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kTinyBase = std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml";

// A sweep file in dir with the given body under `base:`.
std::string sweep_file(const TempDir& dir, const std::string& body, const std::string& name = "sweep.yaml") {
  write_text(dir / name, "base: " + kTinyBase + "\n" + body);
  return dir / name;
}

nlohmann::json results(const std::string& out) { return nlohmann::json::parse(read_text(out + "/results.json")); }

}  // namespace

TEST_CASE("a sweep expands variants x grid x seeds in file order, each run with its overrides") {
  TempDir dir;
  const Sweep s = Sweep::read(sweep_file(dir,
                                         "out_dir: " + (dir / "out") + "\n"
                                         "seeds: [7, 8]\n"
                                         "budget: {steps: 30}\n"
                                         "overrides: {trainer.eval_interval: 5}\n"
                                         "variants:\n"
                                         "  small: {model.n_layer: 1}\n"
                                         "  wide: {model.n_embd: 64, model.n_head: 4}\n"
                                         "grid:\n"
                                         "  model.pos_encoding: [learned, rope]\n"
                                         "  model.activation: [gelu, swiglu]\n"));
  REQUIRE(s.variants.size() == 2 * 4);
  CHECK(s.variants[0].name == "small+pos_encoding=learned+activation=gelu");
  CHECK(s.variants[3].name == "small+pos_encoding=rope+activation=swiglu");
  CHECK(s.variants[4].name == "wide+pos_encoding=learned+activation=gelu");
  const auto runs = s.runs();
  REQUIRE(runs.size() == 16);
  CHECK(runs[1].variant == s.variants[0].name);
  CHECK(runs[1].seed == 8);
  CHECK(runs[1].run_dir == (fs::path(dir / "out") / s.variants[0].name / "seed8").string());
  const std::vector<std::string> expected = {"trainer.eval_interval=5",
                                             "model.n_layer=1",
                                             "model.pos_encoding=learned",
                                             "model.activation=gelu",
                                             "experiment.out_dir=" + (fs::path(dir / "out") / s.variants[0].name).string(),
                                             "experiment.name=seed8",
                                             "experiment.seed=8",
                                             "trainer.max_iters=30"};
  CHECK(runs[1].overrides == expected);

  // Only a grid; only variants; neither (the base itself, one seed by default).
  CHECK(Sweep::read(sweep_file(dir, "grid: {model.n_layer: [1, 2, 3]}\n")).runs().size() == 3);
  CHECK(Sweep::read(sweep_file(dir, "variants: {a: {}, b: {model.bias: true}}\nseeds: [1, 2, 3]\n")).runs().size() == 6);
  const Sweep plain = Sweep::read(sweep_file(dir, ""));
  REQUIRE(plain.runs().size() == 1);
  CHECK(plain.variants[0].name == "base");
  CHECK(plain.out_dir == "runs/sweeps/sweep");
}

TEST_CASE("sweep files are validated like experiment files: file, line, did-you-mean") {
  TempDir dir;
  auto error = [&](const std::string& body) {
    try {
      Sweep::read(sweep_file(dir, body, "bad.yaml"));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("seed: [1, 2]\n"), Contains("bad.yaml:2") && Contains("did you mean 'seeds'"));
  CHECK_THAT(error("seeds: [1, 1]\n"), Contains("bad.yaml:2") && Contains("seed 1 is listed twice"));
  CHECK_THAT(error("seeds: [one]\n"), Contains("must be an integer"));
  CHECK_THAT(error("seeds: [1,\n  -3]\n"), Contains("bad.yaml:3: a seed must be >= 0 and at most 4611686018427387904, got -3"));
  CHECK_THAT(error("grid: {model.n_layer: 2}\n"), Contains("needs a non-empty list"));
  CHECK_THAT(error("grid: {n_layer: [1, 2]}\n"), Contains("must name section.key"));
  CHECK_THAT(error("budget: {steps: 10, hours: 2}\n"), Contains("unknown budget key 'hours'"));
  CHECK_THAT(error("budget: {flops: -1}\n"), Contains("budget.flops must be a positive number"));
  CHECK_THAT(error("budget: {flops: 1e12}\nvariants: {a: {trainer.max_flops: 5}}\n"),
             Contains("bad.yaml:3") && Contains("budget: {flops}"));
  CHECK_THAT(error("variants: {a: {n_layer: 2}}\n"), Contains("must name section.key"));
  CHECK_THAT(error("variants: {a: {}, a: {}}\n"), Contains("bad.yaml:2"));  // duplicate key
  write_text(dir / "nobase.yaml", "base: missing.yaml\n");
  CHECK_THROWS_WITH(Sweep::read(dir / "nobase.yaml"), Contains("nobase.yaml:1") && Contains("does not exist"));

  // A variant's override is checked against the experiment before anything trains.
  const std::string typo = sweep_file(dir, "out_dir: " + (dir / "out") + "\nvariants:\n  ok: {}\n  bad: {model.n_layr: 2}\n");
  CompareRequest r;
  r.sweep_path = typo;
  CHECK_THROWS_WITH(compare(r), Contains("sweep.yaml:5") && Contains("variant 'bad'") && Contains("n_layer"));
  CHECK_FALSE(fs::exists(dir / "out/ok"));
}

TEST_CASE("compare: an interrupted sweep resumes to the same table, finished runs are skipped, and --report rebuilds "
          "the report from the runs") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  auto body = [&](const std::string& out) {
    return "out_dir: " + out + "\nseeds: [1, 2]\nbudget: {steps: 12}\n"
           // A schedule that does not follow trainer.max_iters, which the interruption below sets.
           "overrides: {data.path: " + (dir / "text.txt") + ", schedule.lr_decay_iters: 20}\n"
           "variants:\n  baseline: {}\n  rope: {model.pos_encoding: rope}\n";
  };
  CompareRequest straight{sweep_file(dir, body(dir / "straight"), "straight.yaml"), ""};
  const CompareSummary a = compare(straight);
  CHECK(a.trained == 4);

  // The same sweep, killed in its last run after step 10 (its last checkpoint).
  const Sweep sweep = Sweep::read(sweep_file(dir, body(dir / "resumed"), "resumed.yaml"));
  SweepRun last = sweep.runs().back();
  last.overrides.push_back("trainer.max_iters=10");
  REQUIRE(train({sweep.base, "", last.overrides}).step == 10);
  const CompareSummary b = compare({sweep.path, ""});
  CHECK(b.trained == 3);
  CHECK(b.resumed == 1);
  for (size_t v = 0; v < 2; ++v) {
    const auto ra = results(a.out_dir)["variants"][v], rb = results(b.out_dir)["variants"][v];
    CHECK(ra["name"] == rb["name"]);
    CHECK(ra["final"] == rb["final"]);  // exact resume: the same numbers, not close ones
    CHECK(ra["best"] == rb["best"]);
    CHECK(ra["parameters"] == rb["parameters"]);
    CHECK(ra["train_flops_per_unit"].get<double>() > 0);
    CHECK(ra["peak_rss_mib"].get<double>() > 10);  // from metrics.jsonl's peak_rss_mib
  }
  CHECK(results(a.out_dir)["variants"][0]["runs"] == 2);

  // Run again: nothing trains, the table is the same.
  const std::string table = read_text(b.out_dir + "/results.md");
  const CompareSummary c = compare({sweep.path, ""});
  CHECK(c.skipped == 4);
  CHECK(c.trained + c.resumed == 0);
  CHECK(read_text(b.out_dir + "/results.md") == table);
  // The report from existing runs alone equals the one written after training.
  fs::remove(b.out_dir + "/results.md");
  fs::remove(b.out_dir + "/curves_step.png");
  const CompareSummary d = compare({"", b.out_dir});
  CHECK(read_text(b.out_dir + "/results.md") == table);
  CHECK(d.markdown == table);
  CHECK_THAT(table, Contains("| baseline |") && Contains("| rope |") && Contains("At equal steps") &&
                        Contains("At equal wall time"));

  // Pictures a person can open, and the page that shows them with the table.
  const RgbImage png = read_png(b.out_dir + "/curves_step.png");
  CHECK(png.width == 960);
  CHECK(png.height == 540);
  CHECK_THAT(read_text(b.out_dir + "/curves_time.svg"), Contains("<svg"));
  CHECK_THAT(read_text(b.out_dir + "/index.html"), Contains("curves_step.svg") && Contains("<td>rope</td>"));
  const std::string csv = read_text(b.out_dir + "/results.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  CHECK_THROWS_WITH(compare({"", dir.path()}), Contains("not a sweep directory"));
}

TEST_CASE("the ready sweeps in configs/sweeps are valid") {
  // A dry run reads the data once per model family (to check the metric against its task):
  // the KJV text stands in as a small corpus at its prepared path; Fashion-MNIST is a package.
  TempDir dir;
  write_text(dir / "data/kjv/kjv.txt", attnlab::testing::small_corpus());
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  struct Back {
    fs::path to;
    ~Back() { fs::current_path(to); }
  } back{cwd};
  for (const auto& entry : fs::directory_iterator(std::string(ATTNLAB_SOURCE_DIR) + "/configs/sweeps")) {
    INFO(entry.path());
    CompareRequest r;
    r.sweep_path = entry.path().string(), r.dry_run = true;
    const CompareSummary plan = compare(r);
    CHECK(plan.planned.size() >= 2);  // a comparison: at least two runs
    std::set<std::string> distinct(plan.planned.begin(), plan.planned.end());
    CHECK(distinct.size() == plan.planned.size());  // each run its own directory
  }
}

TEST_CASE("FlopCounter counts the matrix products a forward runs: 2 per multiply-add") {
  torch::manual_seed(0);
  torch::nn::Linear linear(8, 16);
  const auto x = torch::randn({3, 5, 8});
  const auto a = torch::randn({2, 4, 6}), b = torch::randn({2, 6, 3});
  torch::NoGradGuard no_grad;
  FlopCounter counter;
  linear(x);
  CHECK(counter.flops() == 2.0 * 15 * 8 * 16);
  torch::matmul(a, b);
  CHECK(counter.flops() == 2.0 * 15 * 8 * 16 + 2.0 * 2 * 4 * 6 * 3);
  (x + 1).relu();  // elementwise work is not counted
  CHECK(counter.flops() == 2.0 * 15 * 8 * 16 + 2.0 * 2 * 4 * 6 * 3);
}

TEST_CASE("budget: {flops} gives every run trainer.max_flops, the equal-compute budget") {
  TempDir dir;
  const Sweep s = Sweep::read(sweep_file(dir, "budget: {flops: 2.5e12}\nvariants: {a: {}, b: {model.n_layer: 1}}\n"));
  CHECK(s.flops == 2.5e12);
  for (const auto& r : s.runs()) {
    const std::string& o = r.overrides.back();
    REQUIRE(o.rfind("trainer.max_flops=", 0) == 0);
    CHECK(std::stod(o.substr(o.find('=') + 1)) == 2.5e12);
  }
}

TEST_CASE("trainer.max_flops stops at the step whose counted FLOPs reach it, the schedule ending there") {
  TempDir dir;
  const std::vector<std::string> common = {"trainer.log_interval=1", "schedule.lr_decay_iters=0", "schedule.warmup_iters=0"};
  // What a step of this model counts (every step the same: fixed shapes).
  auto probe = common;
  probe.insert(probe.end(), {"trainer.max_iters=2", "trainer.max_flops=1e20", "experiment.name=probe"});
  const TrainSummary p = attnlab::testing::train_tiny_gpt(dir, probe);
  const auto probe_records = attnlab::testing::read_metrics(p.run_dir + "/metrics.jsonl");
  double per_step = 0;
  for (const auto& r : probe_records)
    if (r.contains("flops") && r["step"] == 1) per_step = r["flops"].get<double>();
  REQUIRE(per_step > 0);
  // 2.5 steps' worth: the run takes 3 steps (the first to reach it), not max_iters.
  auto budgeted = common;
  budgeted.insert(budgeted.end(), {"trainer.max_iters=1000", fmt::format("trainer.max_flops={}", 2.5 * per_step),
                                   "experiment.name=budget"});
  const TrainSummary s = attnlab::testing::train_tiny_gpt(dir, budgeted);
  CHECK(s.step == 3);
  const auto records = attnlab::testing::read_metrics(s.run_dir + "/metrics.jsonl");
  std::vector<double> lrs;
  for (const auto& r : records)
    if (r.contains("lr")) {
      lrs.push_back(r["lr"].get<double>());
      CHECK(r["flops"].get<double>() == r["step"].get<double>() * per_step);
    }
  REQUIRE(lrs.size() == 3);
  // Cosine over a horizon of 3 steps (not 1000): step 2 is at 2/3 of the way down.
  CHECK(lrs[2] < 0.5 * lrs[0]);
  CHECK(records.back().contains("val_loss"));
}

TEST_CASE("trainer.max_minutes ends a run like its last step: evaluated and checkpointed") {
  TempDir dir;
  const TrainSummary s = attnlab::testing::train_tiny_gpt(dir, {"trainer.max_iters=100000", "trainer.max_minutes=0.0005"});
  CHECK(s.step < 100000);
  CHECK(s.step >= 1);
  CHECK(s.signal == 0);
  const auto records = attnlab::testing::read_metrics(s.run_dir + "/metrics.jsonl");
  CHECK(records.back().contains("val_loss"));
  CHECK(records.back()["step"] == s.step);
  CHECK(records.back()["elapsed_s"].get<double>() >= 0.03);
  CHECK(fs::exists(s.run_dir + "/last.pt"));
}
