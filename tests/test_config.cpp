// The config system: extends chains, overrides, strictness and its error messages.
#include <catch2/catch.hpp>

#include "core/config/loader.h"
#include "core/config/section.h"
#include "test_util.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::error_of;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {
const char* kBase =
    "experiment:\n  name: base\n  seed: 7\n"
    "model:\n  type: gpt\n  n_layer: 2\n  n_head: 2\n  n_embd: 32\n  block_size: 16\n"
    "optimizer:\n  learning_rate: 0.01\n"
    "schedule:\n  warmup_iters: 3\n";
}  // namespace

TEST_CASE("extends chains merge maps deeply and replace scalars") {
  TempDir dir;
  write_text(dir / "base.yaml", kBase);
  write_text(dir / "sub/mid.yaml", "extends: ../base.yaml\nmodel:\n  n_layer: 3\ntrainer:\n  max_iters: 50\n");
  write_text(dir / "sub/top.yaml", "extends: mid.yaml\nexperiment:\n  name: top\nmodel:\n  n_embd: 64\n");
  Experiment e = Experiment::read(load_config(dir / "sub/top.yaml"));
  CHECK(e.experiment.name == "top");  // replaced by the last file
  CHECK(e.experiment.seed == 7);      // kept from the base
  CHECK(e.trainer.max_iters == 50);   // from the middle file
  CHECK(e.optimizer.learning_rate == Approx(0.01));
  CHECK(e.schedule.warmup_iters == 3);
  // The resolved config lists every key, defaults included, and reproduces the merge.
  CHECK_THAT(e.resolved_yaml, Contains("n_layer: 3"));
  CHECK_THAT(e.resolved_yaml, Contains("n_embd: 64"));
  CHECK_THAT(e.resolved_yaml, Contains("beta2: 0.95"));
  TempDir out;
  write_text(out / "resolved.yaml", e.resolved_yaml);
  Experiment again = Experiment::read(load_config(out / "resolved.yaml"));
  CHECK(again.resolved_yaml == e.resolved_yaml);
}

TEST_CASE("extends cycles and missing bases are reported") {
  TempDir dir;
  write_text(dir / "a.yaml", "extends: b.yaml\n");
  write_text(dir / "b.yaml", "extends: a.yaml\n");
  CHECK_THAT(error_of([&] { load_config(dir / "a.yaml"); }), Contains("cycle"));
  write_text(dir / "c.yaml", "\nextends: nowhere.yaml\n");
  auto msg = error_of([&] { load_config(dir / "c.yaml"); });
  CHECK_THAT(msg, Contains("c.yaml:2"));
  CHECK_THAT(msg, Contains("nowhere.yaml"));
}

TEST_CASE("command-line overrides apply after extends and are parsed as YAML scalars") {
  TempDir dir;
  write_text(dir / "base.yaml", kBase);
  Experiment e = Experiment::read(
      load_config(dir / "base.yaml", {"model.n_layer=5", "optimizer.learning_rate=3e-4", "model.bias=true",
                                      "experiment.name=over", "trainer.max_iters=7"}));
  CHECK(e.experiment.name == "over");
  CHECK(e.optimizer.learning_rate == Approx(3e-4));
  CHECK(e.trainer.max_iters == 7);
  CHECK_THAT(e.resolved_yaml, Contains("n_layer: 5"));
  CHECK_THAT(e.resolved_yaml, Contains("bias: true"));
}

TEST_CASE("an unknown key names file, line, dotted key and the nearest valid key") {
  TempDir dir;
  write_text(dir / "typo.yaml", std::string(kBase) + "trainer:\n  max_iter: 10\n");
  auto msg = error_of([&] { Experiment::read(load_config(dir / "typo.yaml")); });
  CHECK_THAT(msg, Contains("typo.yaml:15"));
  CHECK_THAT(msg, Contains("unknown key 'trainer.max_iter'"));
  CHECK_THAT(msg, Contains("did you mean 'trainer.max_iters'?"));

  write_text(dir / "ok.yaml", kBase);
  msg = error_of([&] { Experiment::read(load_config(dir / "ok.yaml", {"model.n_embdd=64"})); });
  CHECK_THAT(msg, Contains("command-line override 'model.n_embdd=64'"));
  CHECK_THAT(msg, Contains("did you mean 'model.n_embd'?"));

  msg = error_of([&] { Experiment::read(load_config(dir / "ok.yaml", {"optimiser.learning_rate=1"})); });
  CHECK_THAT(msg, Contains("did you mean 'optimizer'?"));
}

TEST_CASE("duplicate keys are errors, not silently dropped") {
  TempDir dir;
  write_text(dir / "dup.yaml", "model:\n  type: gpt\n  n_layer: 2\n  n_layer: 4\n");
  auto msg = error_of([&] { load_config(dir / "dup.yaml"); });
  CHECK_THAT(msg, Contains("dup.yaml:4"));
  CHECK_THAT(msg, Contains("duplicate key 'n_layer'"));
  CHECK_THAT(msg, Contains("line 3"));
}

TEST_CASE("wrong types and invalid values name file, line and key") {
  TempDir dir;
  auto check = [&](const std::string& extra, const std::string& where, const std::string& what) {
    write_text(dir / "bad.yaml", std::string(kBase) + extra);
    auto msg = error_of([&] { Experiment::read(load_config(dir / "bad.yaml")); });
    INFO(msg);
    CHECK_THAT(msg, Contains(where));
    CHECK_THAT(msg, Contains(what));
  };
  check("trainer:\n  batch_size: twelve\n", "bad.yaml:15: trainer.batch_size", "expected an integer, got 'twelve'");
  check("trainer:\n  max_iters: 1.5\n", "bad.yaml:15: trainer.max_iters", "expected an integer");
  check("data:\n  val_fraction: [1, 2]\n", "bad.yaml:15: data.val_fraction", "expected a number, got a list");

  write_text(dir / "base.yaml", kBase);
  auto invalid = [&](const std::string& override_, const std::string& what) {
    auto msg = error_of([&] { Experiment::read(load_config(dir / "base.yaml", {override_})); });
    INFO(msg);
    CHECK_THAT(msg, Contains(what));
  };
  invalid("model.n_head=3", "model.n_embd: must be divisible by n_head");
  invalid("model.dropout=1.0", "model.dropout: must be in [0, 1)");
  invalid("model.block_size=0", "model.block_size: must be in [1, 16777216], got 0");
  invalid("model.type=gtp", "did you mean 'gpt'?");
  invalid("experiment.device=gpu", "experiment.device: 'gpu' is not one of: auto, cpu, cuda");
  // The invalid value in a file points at its line.
  write_text(dir / "div.yaml", "extends: base.yaml\nmodel:\n  n_embd: 30\n  n_head: 4\n");
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "div.yaml")); }),
             Contains("div.yaml:3: model.n_embd: must be divisible by n_head"));
}

TEST_CASE("YAML syntax errors carry the file and line") {
  TempDir dir;
  write_text(dir / "syntax.yaml", "model:\n  type: gpt\n  n_layer: [1, 2\n");
  CHECK_THAT(error_of([&] { load_config(dir / "syntax.yaml"); }), Contains("syntax.yaml:"));
}

TEST_CASE("nearest suggests close keys only") {
  CHECK(nearest("lerning_rate", {"learning_rate", "weight_decay"}) == "learning_rate");
  CHECK(nearest("zzzz", {"learning_rate", "weight_decay"}).empty());
}
