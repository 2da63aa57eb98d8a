// Config values: every numeric key declares its range where it is read, and the reader
// refuses NaN, infinities and values outside it naming the key; relations between keys;
// the config file's own shape (documents, extends, sections).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

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


// Every experiment config the project ships (sweeps are not experiments, *_base.yaml files
// are completed by the configs that extend them).
std::vector<std::string> shipped_configs() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(ATTNLAB_SOURCE_DIR) + "/configs")) {
    const std::string name = e.path().filename().string();
    const bool base = name.size() > 10 && name.substr(name.size() - 10) == "_base.yaml";
    if (e.path().extension() == ".yaml" && name[0] != '.' && !base && e.path().parent_path().filename() != "sweeps")
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string text(double v, bool integer) {
  return integer ? fmt::format("{:.0f}", v) : fmt::format("{}", v);  // shortest exact: -1e12 - 0.5 stays below -1e12
}

// Values a key must refuse: NaN, both infinities, and one step past each finite end.
std::vector<std::string> bad_values(const NumericKey& k) {
  std::vector<std::string> out = {".nan", "nan", ".inf", "-.inf"};
  const Range& r = k.range;
  if (k.integer) {  // in 64-bit arithmetic: 2^62 + 1 is not a double
    if (std::isfinite(r.lo)) out.push_back(std::to_string(static_cast<int64_t>(r.lo) - (r.lo_open ? 0 : 1)));
    if (std::isfinite(r.hi)) out.push_back(std::to_string(static_cast<int64_t>(r.hi) + (r.hi_open ? 0 : 1)));
    return out;
  }
  if (std::isfinite(r.lo)) out.push_back(text(r.lo_open ? r.lo : r.lo - 0.5, false));
  if (std::isfinite(r.hi)) out.push_back(text(r.hi_open ? r.hi : r.hi * 2 + 1, false));
  return out;
}

// The dotted paths of every unquoted number in a resolved tree.
void numbers_in(const ConfigNode& n, const std::string& path, std::set<std::string>& out) {
  for (const auto& e : n.entries) {
    const std::string dotted = path.empty() ? e.key : path + "." + e.key;
    if (e.value->is_map()) numbers_in(*e.value, dotted, out);
    if (e.value->kind != ConfigNode::Kind::Scalar || e.value->quoted) continue;
    const std::string& s = e.value->scalar;
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) out.insert(dotted);
  }
}

}  // namespace

TEST_CASE("every numeric key refuses NaN, infinities and out-of-range values, naming the key and its line") {
  std::map<std::string, std::string> key_config;  // each key once, from the first config that reads it
  std::map<std::string, NumericKey> keys;
  const auto configs = shipped_configs();
  REQUIRE(configs.size() >= 10);
  for (const auto& path : configs) {
    const Experiment e = Experiment::read(load_config(path));
    for (const auto& k : e.numeric_keys)
      if (keys.emplace(k.path, k).second) key_config[k.path] = path;
  }
  // The keys of every family are declared (a family that read a number without a range
  // would not compile; these are the ones the issue found unchecked).
  for (const char* expected :
       {"optimizer.grad_clip", "optimizer.eps", "optimizer.beta1", "schedule.min_lr", "schedule.warmup_iters",
        "trainer.max_minutes", "data.mask_prob", "data.mask_token_prob", "data.random_token_prob",
        "model.label_smoothing", "model.length_penalty", "model.max_output_ratio", "data.noise_std",
        "data.crop_padding", "data.train_examples", "data.val_fraction", "experiment.threads", "experiment.seed",
        "distributed.timeout_s", "model.n_embd", "model.mlp_ratio", "data.n_points", "trainer.batch_size"})
    CHECK(keys.count(expected) == 1);
  int refused = 0;
  for (const auto& [path, key] : keys) {
    for (const auto& value : bad_values(key)) {
      const std::string override_text = path + "=" + value;
      INFO(key_config[path] << " with " << override_text);
      const std::string msg = error_of([&] { Experiment::read(load_config(key_config[path], {override_text})); });
      CHECK_THAT(msg, Contains("command-line override '" + override_text + "': " + path + ": "));
      refused += msg.find(path) != std::string::npos;
    }
  }
  CHECK(refused >= 5 * static_cast<int>(keys.size()));
  // A bad value in the file names the file and the line of the key.
  TempDir dir;
  write_text(dir / "lr.yaml", "extends: " + std::string(ATTNLAB_SOURCE_DIR) +
                                  "/configs/gpt/kjv_char_tiny.yaml\noptimizer:\n  weight_decay: 0.1\n  beta2: .nan\n");
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "lr.yaml")); }),
             Contains("lr.yaml:4: optimizer.beta2: must be in [0, 1), got nan"));
}

TEST_CASE("every number in a resolved config was declared with a range") {
  for (const auto& path : shipped_configs()) {
    INFO(path);
    const Experiment e = Experiment::read(load_config(path));
    std::set<std::string> declared;
    for (const auto& k : e.numeric_keys) declared.insert(k.path);
    std::set<std::string> numbers;
    numbers_in(*parse_yaml(e.resolved_yaml, "resolved"), "", numbers);
    for (const auto& n : numbers) {
      INFO(n);
      CHECK(declared.count(n) == 1);
    }
  }
}

TEST_CASE("integers too large for 64 bits are refused as out of range") {
  const std::string tiny = std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml";
  for (const char* v : {"9223372036854775807", "99999999999999999999", "-9223372036854775809"}) {
    const std::string msg = error_of([&] { load_config(tiny, {std::string("schedule.warmup_iters=") + v}); });
    // load_config only parses: the reader refuses
    CHECK(msg == "<no error>");
    CHECK_THAT(error_of([&] { Experiment::read(load_config(tiny, {std::string("schedule.warmup_iters=") + v})); }),
               Contains("schedule.warmup_iters: must be >= 0 and at most 1000000000000, got"));
  }
  CHECK_THAT(error_of([&] { Experiment::read(load_config(tiny, {"experiment.threads=1000000"})); }),
             Contains("experiment.threads: must be in [0, 1024]"));
  // Numbers a double cannot hold, hexadecimal, and null are refused by name too.
  auto read = [&](const std::string& o) { return error_of([&] { Experiment::read(load_config(tiny, {o})); }); };
  CHECK_THAT(read("optimizer.learning_rate=1e-400"), Contains("optimizer.learning_rate: must be > 0") &&
                                                         Contains("got 1e-400, which a double cannot hold (rounds to 0)"));
  CHECK_THAT(read("optimizer.grad_clip=1e400"), Contains("got 1e400, which a double cannot hold (too large)"));
  CHECK_THAT(read("optimizer.learning_rate=0x10"), Contains("optimizer.learning_rate: expected a number, got '0x10'"));
  CHECK_THAT(read("model.n_layer=~"), Contains("model.n_layer: expected an integer, got an empty value (null)"));
  CHECK_THAT(read("experiment.name=null"), Contains("experiment.name: expected a string, got an empty value (null)"));
}

TEST_CASE("relations between keys are checked where they are read") {
  const std::string src = ATTNLAB_SOURCE_DIR;
  auto refuse = [&](const std::string& config, const std::vector<std::string>& overrides) {
    return error_of([&] { Experiment::read(load_config(src + "/configs/" + config, overrides)); });
  };
  CHECK_THAT(refuse("gpt/kjv_char_tiny.yaml", {"schedule.min_lr=5"}),
             Contains("schedule.min_lr: 5 is above optimizer.learning_rate (0.001)"));
  CHECK_THAT(refuse("gpt/kjv_char_tiny.yaml", {"schedule.lr_decay_iters=20", "schedule.warmup_iters=30"}),
             Contains("schedule.warmup_iters: 30 is above lr_decay_iters (20)"));
  // Only a cosine decay ends: without decay, or with inverse_sqrt, the warm-up may be longer.
  CHECK_NOTHROW(Experiment::read(load_config(src + "/configs/gpt/kjv_char_tiny.yaml",
                                             {"schedule.lr_decay_iters=20", "schedule.warmup_iters=30", "schedule.decay_lr=false"})));
  CHECK_NOTHROW(Experiment::read(load_config(src + "/configs/gpt/kjv_char_tiny.yaml",
                                             {"schedule.lr_decay_iters=20", "schedule.warmup_iters=30", "schedule.type=inverse_sqrt"})));
  CHECK_THAT(refuse("bert/kjv_mlm_tiny.yaml", {"data.mask_token_prob=0.7", "data.random_token_prob=0.4"}),
             Contains("data.random_token_prob: mask_token_prob (0.7) + random_token_prob (0.4) must be at most 1"));
  CHECK_THAT(refuse("icl/linear_regression_tiny.yaml", {"data.n_points=4", "data.curriculum_points=9"}),
             Contains("data.curriculum_points: must be in [1, n_points]"));
  CHECK_THAT(refuse("gpt/kjv_char_tiny.yaml", {"model.n_head=3"}), Contains("model.n_embd: must be divisible by n_head"));
  // Within range on both sides of each relation: accepted.
  CHECK_NOTHROW(Experiment::read(load_config(src + "/configs/gpt/kjv_char_tiny.yaml", {"schedule.min_lr=0.001"})));
}

TEST_CASE("the config file's shape: one document, known top-level keys, extends that names a file") {
  TempDir dir;
  const std::string tiny = std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml";
  write_text(dir / "two.yaml", "extends: " + tiny + "\nmodel:\n  n_layer: 2\n---\nmodel:\n  n_layer: 3\n");
  CHECK_THAT(error_of([&] { load_config(dir / "two.yaml"); }), Contains("two.yaml:4: a second YAML document"));

  write_text(dir / "typo.yaml", "etxends: " + tiny + "\n");
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "typo.yaml")); }),
             Contains("typo.yaml:1: unknown key 'etxends'; did you mean 'extends'?"));
  write_text(dir / "section.yaml", "extends: " + tiny + "\nmodle:\n  n_layer: 2\n");
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "section.yaml")); }),
             Contains("section.yaml:2: unknown key 'modle'; did you mean 'model'?"));

  write_text(dir / "dot.yaml", "extends: .\n");
  CHECK_THAT(error_of([&] { load_config(dir / "dot.yaml"); }), Contains("dot.yaml:1: extends '.', which is a directory"));
  write_text(dir / "empty.yaml", "extends: \"\"\n");
  CHECK_THAT(error_of([&] { load_config(dir / "empty.yaml"); }),
             Contains("empty.yaml:1: 'extends' must name the YAML file this one builds on"));
  CHECK_THAT(error_of([&] { load_config(dir.path()); }), Contains("is a directory; name a YAML config file"));
  write_text(dir / "blank.yaml", "# nothing yet\n\n");
  CHECK_THAT(error_of([&] { load_config(dir / "blank.yaml"); }), Contains("blank.yaml: the file is empty (or only comments)"));

  const std::string sweep = std::string(ATTNLAB_SOURCE_DIR) + "/configs/sweeps/vit_fashion_mnist.yaml";
  const std::string text = attnlab::testing::read_text(sweep);
  const size_t base_at = text.find("\nbase:");
  REQUIRE(base_at != std::string::npos);
  const auto base_line = std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(base_at), '\n') + 2;
  CHECK_THAT(error_of([&] { Experiment::read(load_config(sweep)); }),
             Contains(fmt::format("vit_fashion_mnist.yaml:{}: unknown key 'base': a sweep file's key (a sweep runs "
                                  "with `attnlab compare {}`)", base_line, sweep)));
  write_text(dir / "based.yaml", "extends: " + tiny + "\nbase: 1\n");
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "based.yaml")); }),
             Contains("based.yaml:2: unknown key 'base'"));

  write_text(dir / "a.yaml", "extends: b.yaml\n");
  write_text(dir / "b.yaml", "extends: c.yaml\n");
  write_text(dir / "c.yaml", "extends: a.yaml\n");
  const std::string cycle = error_of([&] { load_config(dir / "a.yaml"); });
  CHECK_THAT(cycle, Contains("'extends' makes a cycle: " + dir / "a.yaml" + " -> " + dir / "b.yaml" + " -> " +
                             dir / "c.yaml" + " -> " + dir / "a.yaml"));
}

TEST_CASE("a section left empty in the file still takes command-line overrides") {
  TempDir dir;
  const std::string tiny = std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml";
  write_text(dir / "bare.yaml", "extends: " + tiny + "\nexperiment:\ntrainer:\n");
  const Experiment plain = Experiment::read(load_config(dir / "bare.yaml"));
  CHECK(plain.experiment.threads == 1);  // the empty section leaves the base's values
  const Experiment e = Experiment::read(load_config(dir / "bare.yaml", {"experiment.threads=2", "trainer.max_iters=7"}));
  CHECK(e.experiment.threads == 2);
  CHECK(e.trainer.max_iters == 7);
}
