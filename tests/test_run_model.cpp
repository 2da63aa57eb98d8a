// A run's model rebuilt from its directory alone (trainers/run_model.h): model_context.json
// round-trips every field and refuses a damaged file; generate and export need no data; a run
// without the file reads its data once and then gets the file; a missing or swapped tokenizer is
// refused.
#include <catch2/catch.hpp>

#include <filesystem>

#include "test_util.h"
#include "trainers/run_model.h"

using namespace attnlab;
using attnlab::testing::error_of;
using attnlab::testing::read_text;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

// A context with every field away from its default.
ModelContext full_context() {
  ModelContext c;
  c.objective = "offline_rl", c.vocab_size = 71, c.pad_id = 3, c.seq_len = 33, c.streams = true;
  c.batch_tokens = 4096, c.num_classes = 2, c.class_names = {"T-shirt/top", "Bag"};
  c.tokenizer_fingerprint = "abc123", c.data_type = "trajectories", c.bos_id = 5, c.eos_id = 6;
  c.image_channels = 3, c.image_height = 28, c.image_width = 14, c.image_mean = 0.2860402, c.image_std = 0.1 / 3;
  c.input_dims = 4, c.env = "cartpole", c.num_actions = 2, c.action_dims = 7, c.max_timestep = 501;
  c.observation_mean = {0.1, -2.5e-7}, c.observation_std = {1.0 / 3, 4};
  c.return_scale = 500, c.best_return = 499.75, c.mean_return = -1e-300;
  return c;
}

std::string generated(const std::string& run_dir) {
  GenerateRequest g;
  g.run_dir = run_dir, g.prompt = "the lord ", g.max_new_tokens = 40, g.seed = 5;
  return generate(g);
}

}  // namespace

TEST_CASE("model_context.json: every field round-trips exactly, and a damaged, incomplete or other-version file is refused") {
  TempDir dir;
  const ModelContext c = full_context();
  save_model_context(c, dir.path());
  const ModelContext r = load_model_context(dir.path());
  CHECK(r.objective == c.objective);
  CHECK(r.vocab_size == c.vocab_size);
  CHECK(r.pad_id == c.pad_id);
  CHECK(r.seq_len == c.seq_len);
  CHECK(r.streams == c.streams);
  CHECK(r.batch_tokens == c.batch_tokens);
  CHECK(r.num_classes == c.num_classes);
  CHECK(r.class_names == c.class_names);
  CHECK(r.tokenizer_fingerprint == c.tokenizer_fingerprint);
  CHECK(r.data_type == c.data_type);
  CHECK(r.bos_id == c.bos_id);
  CHECK(r.eos_id == c.eos_id);
  CHECK(r.image_channels == c.image_channels);
  CHECK(r.image_height == c.image_height);
  CHECK(r.image_width == c.image_width);
  CHECK(r.image_mean == c.image_mean);  // bit for bit: the model normalises with them
  CHECK(r.image_std == c.image_std);
  CHECK(r.input_dims == c.input_dims);
  CHECK(r.env == c.env);
  CHECK(r.num_actions == c.num_actions);
  CHECK(r.action_dims == c.action_dims);
  CHECK(r.max_timestep == c.max_timestep);
  CHECK(r.observation_mean == c.observation_mean);
  CHECK(r.observation_std == c.observation_std);
  CHECK(r.return_scale == c.return_scale);
  CHECK(r.best_return == c.best_return);
  CHECK(r.mean_return == c.mean_return);

  const std::string path = dir / "model_context.json";
  const std::string whole = read_text(path);
  write_text(path, whole.substr(0, whole.size() / 2));  // cut short
  CHECK_THAT(error_of([&] { load_model_context(dir.path()); }), Contains(path) && Contains("delete it, then run"));
  auto j = nlohmann::json::parse(whole);
  j.erase("image_std");
  write_text(path, j.dump());
  CHECK_THAT(error_of([&] { load_model_context(dir.path()); }), Contains(path) && Contains("image_std"));
  j = nlohmann::json::parse(whole);
  j["version"] = 2;
  write_text(path, j.dump());
  CHECK_THAT(error_of([&] { load_model_context(dir.path()); }), Contains(path) && Contains("version 2"));
}

TEST_CASE("a run generates and exports from its directory alone: with the data moved away nothing changes") {
  TempDir dir;
  const std::string run = attnlab::testing::train_tiny_gpt(dir).run_dir;
  REQUIRE(std::filesystem::exists(run + "/model_context.json"));
  const std::string before = generated(run);
  EvalRequest e;
  e.run_dir = run;
  const std::string evaluated = evaluate_run(e).text;

  std::filesystem::rename(dir / "text.txt", dir / "elsewhere.txt");
  CHECK(generated(run) == before);
  ExportRequest x;
  x.run_dir = run, x.out = dir / "model.pt";
  const ExportSummary exported = export_run(x);
  INFO(exported.text);
  CHECK(exported.passed);
  // Evaluation needs the data, and says which file is missing; given its new place (data keys
  // only), it evaluates the same; other text there is refused by data.json.
  CHECK_THAT(error_of([&] { evaluate_run(e); }), Contains(dir / "text.txt"));
  EvalRequest moved = e;
  moved.data_overrides = {"data.path=" + (dir / "elsewhere.txt")};
  const EvalReport report = evaluate_run(moved);
  CHECK(report.text == evaluated);
  CHECK(nlohmann::json::parse(read_text(report.json_path)).at("flags").at("data") == moved.data_overrides);
  moved.data_overrides = {"data.pth=" + (dir / "elsewhere.txt")};
  CHECK_THAT(error_of([&] { evaluate_run(moved); }), Contains("data.pth") && Contains("path"));
  moved.data_overrides = {"model.n_layer=1"};
  CHECK_THAT(error_of([&] { evaluate_run(moved); }), Contains("eval takes data.KEY=VALUE overrides only"));
  write_text(dir / "other.txt", attnlab::testing::small_corpus(100));
  moved.data_overrides = {"data.path=" + (dir / "other.txt")};
  CHECK_THAT(error_of([&] { evaluate_run(moved); }), Contains("trained on other data"));

  // A run from before model_context.json: the data is read (and checked) as it was, and the
  // error says why; with the data back, the file is written, the same as training wrote it.
  const std::string saved = read_text(run + "/model_context.json");
  std::filesystem::remove(run + "/model_context.json");
  CHECK_THAT(error_of([&] { generated(run); }),
             Contains(dir / "text.txt") && Contains("a run made before " + run + "/model_context.json existed"));
  CHECK_FALSE(std::filesystem::exists(run + "/model_context.json"));
  std::filesystem::rename(dir / "elsewhere.txt", dir / "text.txt");
  CHECK(generated(run) == before);
  CHECK(read_text(run + "/model_context.json") == saved);

  // A token run's tokenizer is required: gone, it is named (never a model without one).
  std::filesystem::rename(run + "/tokenizer.json", dir / "tokenizer.json");
  CHECK_THAT(error_of([&] { generated(run); }), Contains(run + "/tokenizer.json"));
  CHECK_THAT(error_of([&] { export_run(x); }), Contains(run + "/tokenizer.json"));
  std::filesystem::rename(dir / "tokenizer.json", run + "/tokenizer.json");

  // A tokenizer that is not the run's (two characters swapped: same size, other ids) is refused.
  auto tok = nlohmann::json::parse(read_text(run + "/tokenizer.json"));
  std::swap(tok["chars"][1], tok["chars"][2]);
  write_text(run + "/tokenizer.json", tok.dump());
  CHECK_THAT(error_of([&] { generated(run); }),
             Contains(run + "/tokenizer.json") && Contains("not the one the model trained with"));
  // Evaluation (and resume) say the same before the data is encoded with it: the tokenizer, not
  // the data, changed.
  CHECK_THAT(error_of([&] { evaluate_run(e); }),
             Contains(run + "/tokenizer.json") && Contains("not the one the model trained with"));
  TrainRequest resume;
  resume.resume_dir = run;
  CHECK_THAT(error_of([&] { train(resume); }), Contains("not the one the model trained with"));
}

TEST_CASE("generate warns when the prompt holds text the vocabulary lacks ([UNK]), and prints the text anyway") {
  TempDir dir;
  // Two documents: the char tokenizer gets the special tokens ([SEP] joins them), so an unknown
  // character becomes [UNK] instead of an error.
  write_text(dir / "docs/a.txt", attnlab::testing::small_corpus(150));
  write_text(dir / "docs/b.txt", attnlab::testing::small_corpus(150));
  const std::string run =
      attnlab::testing::train_config("gpt/kjv_char_tiny.yaml", dir, {"data.path=" + (dir / "docs")}).run_dir;
  const std::string bin = ATTNLAB_BIN;
  auto unknown = attnlab::testing::run_command(
      bin + " generate " + run + " --prompt 'the \xE2\x82\xAC lord' --max-new-tokens 5 --seed 1", dir);
  INFO(unknown.out);
  REQUIRE(unknown.status == 0);
  CHECK_THAT(unknown.err, Contains("warning: 1 token(s) of the prompt are [UNK]"));
  auto known = attnlab::testing::run_command(bin + " generate " + run + " --prompt 'the lord' --max-new-tokens 5", dir);
  REQUIRE(known.status == 0);
  CHECK_THAT(known.err, !Contains("[UNK]"));
}
