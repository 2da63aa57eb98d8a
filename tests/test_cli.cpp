// The attnlab command line end to end: train, refuse to clobber, resume, generate, errors.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/util/rgb_image.h"
#include "test_paths.h"
#include "test_util.h"

using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// `attnlab ARGS`.
attnlab::testing::CommandResult run(const std::string& args, const TempDir& dir) {
  return attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " " + args, dir);
}

// "train configs/gpt/kjv_char_tiny.yaml ..." on small_corpus() written to dir/text.txt.
std::string tiny_gpt_train(const TempDir& dir) {
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  return std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml" +
         " experiment.out_dir=" + dir.path() + " data.path=" + (dir / "text.txt");
}

}  // namespace

TEST_CASE("CLI: help, and errors go to stderr with a non-zero exit") {
  TempDir dir;
  auto help = run("--help", dir);
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Contains("train") && Contains("generate") && Contains("data"));
  CHECK(run("train --help", dir).status == 0);
  CHECK(run("generate --help", dir).status == 0);

  auto missing = run("train " + (dir / "nope.yaml"), dir);
  CHECK(missing.status != 0);
  CHECK_THAT(missing.err, Contains("cannot open config file"));

  auto typo = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml model.n_layr=3", dir);
  CHECK(typo.status == 1);
  CHECK_THAT(typo.err, Contains("unknown key 'model.n_layr'; did you mean 'model.n_layer'?"));

  auto no_data = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml data.path=" +
                         (dir / "data/kjv/kjv.txt") + " experiment.out_dir=" + dir.path(),
                     dir);
  CHECK(no_data.status == 1);
  CHECK_THAT(no_data.err, Contains("run `attnlab data prepare kjv`"));
}

TEST_CASE("CLI: train the tiny config, resume it, generate from it") {
  TempDir dir;
  const std::string train = tiny_gpt_train(dir);
  auto first = run(train + " trainer.max_iters=6", dir);
  INFO(first.out);
  REQUIRE(first.status == 0);
  CHECK_THAT(first.out, Contains("threads 1"));
  CHECK_THAT(first.out, Contains("step 5/6"));
  const std::string run_dir = dir / "kjv_char_tiny";
  for (const char* f : {"config.yaml", "tokenizer.json", "last.pt", "metrics.jsonl"})
    CHECK(fs::exists(run_dir + "/" + f));

  auto again = run(train, dir);
  CHECK(again.status == 1);
  CHECK_THAT(again.err, Contains("already holds a checkpoint") && Contains("--resume"));

  auto resumed = run("train --resume " + run_dir + " trainer.max_iters=10", dir);
  INFO(resumed.out);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.out, Contains("at step 6"));
  CHECK_THAT(resumed.out, Contains("step 10/10"));
  CHECK_THAT(attnlab::testing::read_text(run_dir + "/config.yaml"), Contains("max_iters: 10"));

  const std::string gen = "generate " + run_dir + " --prompt 'the lord ' --max-new-tokens 30 --seed 3";
  auto a = run(gen, dir), b = run(gen, dir);
  INFO(a.out);
  REQUIRE(a.status == 0);
  // stdout is the text alone (no report: the model comes from the run directory, and a run
  // without model_context.json prints its data report to stderr): `generate RUN > sample.txt`.
  const auto text = a.out.substr(0, a.out.size() - a.err.size());
  CHECK(text.rfind("the lord ", 0) == 0);
  CHECK(text.size() == 9 + 30 + 1);  // prompt + 30 ASCII characters + newline
  CHECK(a.out == b.out);             // seeded
  CHECK(run(gen + " --no-kv-cache", dir).out == a.out);  // 9 + 30 tokens: past block_size 16 too
  CHECK(run(gen + " --checkpoint last --temperature 0", dir).status == 0);
  auto bad_prompt = run("generate " + run_dir + " --prompt 'xyz'", dir);
  CHECK(bad_prompt.status == 1);
  CHECK_THAT(bad_prompt.err, Contains("not in the tokenizer's vocabulary"));
}

TEST_CASE("CLI: pretrain a tiny BERT, fine-tune it, and evaluate it on the test split") {
  TempDir dir;
  const std::string path = attnlab::testing::verse_fixture(dir.path(), 5);
  const std::string data = " data.path=" + path + " data.refs=" + (dir / "bible.refs") +
                           " experiment.out_dir=" + dir.path();
  auto mlm = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/bert/kjv_mlm_tiny.yaml" + data, dir);
  INFO(mlm.out);
  REQUIRE(mlm.status == 0);
  CHECK_THAT(mlm.out, Contains("val mlm_accuracy"));
  CHECK_THAT(mlm.out, Contains("64 train / 8 val / 8 test verses"));
  const std::string books = std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/bert/kjv_books_tiny.yaml" + data;
  auto ft = run(books + " model.init_from=" + (dir / "kjv_mlm_tiny") + " experiment.name=ft", dir);
  INFO(ft.out);
  REQUIRE(ft.status == 0);
  CHECK_THAT(ft.out, Contains("init_from: encoder.* tensors loaded from"));
  CHECK_THAT(ft.out, Contains("majority class"));
  CHECK_THAT(ft.out, Contains("best val_accuracy"));

  auto ev = run("eval " + (dir / "ft") + " --split test", dir);
  INFO(ev.out);
  REQUIRE(ev.status == 0);
  CHECK_THAT(ev.out, Contains("on the whole test split: 8 examples"));
  CHECK_THAT(ev.out, Contains("macro_f1") && Contains("majority_accuracy") && Contains("confusion matrix"));
  const std::string json = attnlab::testing::read_text(dir / "ft/eval_test.json");
  CHECK_THAT(json, Contains("\"macro_f1\"") && Contains("\"confusion\"") && Contains("\"accuracy\""));
  auto again = run("eval " + (dir / "ft") + " --split test", dir);
  CHECK(again.out == ev.out);  // the saved run reproduces its figures

  auto mlm_eval = run("eval " + (dir / "kjv_mlm_tiny") + " --split val --checkpoint last", dir);
  CHECK(mlm_eval.status == 0);
  CHECK_THAT(mlm_eval.out, Contains("mlm_accuracy"));

  auto bad_split = run("eval " + (dir / "ft") + " --split dev", dir);
  CHECK(bad_split.status == 1);
  CHECK_THAT(bad_split.err, Contains("no split 'dev'") && Contains("train, val, test"));
  auto gpt_on_books = run(books + " model.type=gpt experiment.name=g", dir);
  CHECK(gpt_on_books.status == 1);
  CHECK_THAT(gpt_on_books.err, Contains("unknown key 'model.max_len'"));
  auto typo = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/bert/kjv_mlm_tiny.yaml data.mask_prb=0.2", dir);
  CHECK(typo.status == 1);
  CHECK_THAT(typo.err, Contains("unknown key 'data.mask_prb'") && Contains("did you mean 'data.mask_prob'"));
  auto bad_type = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/bert/kjv_mlm_tiny.yaml data.type=masked", dir);
  CHECK(bad_type.status == 1);
  CHECK_THAT(bad_type.err, Contains("data.type") && Contains("masked_text"));
  auto no_refs = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/bert/kjv_books_tiny.yaml data.path=" +
                         path + " data.refs=" + (dir / "nope.refs") + " experiment.out_dir=" + dir.path(),
                     dir);
  CHECK(no_refs.status == 1);
  CHECK_THAT(no_refs.err, Contains("nope.refs' not found"));
}

TEST_CASE("CLI: a GPT run is evaluated on its splits, bad arguments and bad files are clear errors") {
  TempDir dir;
  const std::string train = tiny_gpt_train(dir);
  REQUIRE(run(train + " trainer.max_iters=4", dir).status == 0);
  const std::string run_dir = dir / "kjv_char_tiny";
  auto ev = run("eval " + run_dir, dir);
  INFO(ev.out);
  REQUIRE(ev.status == 0);
  CHECK_THAT(ev.out, Contains("whole val split") && Contains("loss"));
  auto test_split = run("eval " + run_dir + " --split test", dir);
  CHECK(test_split.status == 1);
  CHECK_THAT(test_split.err, Contains("no split 'test'") && Contains("train, val"));

  auto negative = run("generate " + run_dir + " --max-new-tokens -5", dir);
  CHECK(negative.status != 0);
  CHECK_THAT(negative.err, Contains("max-new-tokens"));
  CHECK_THAT(negative.out, !Contains("the lord"));

  write_text(dir / "bad.txt", std::string("ab\xff") + "cd\n");
  auto bad_utf8 = run(train + " data.path=" + (dir / "bad.txt") + " experiment.name=bad", dir);
  CHECK(bad_utf8.status == 1);
  CHECK_THAT(bad_utf8.err, Contains("bad.txt: not valid UTF-8 at line 1 (1 line)"));
}

TEST_CASE("CLI: translate, eval --beam and eval --attention-maps refuse a run of another family") {
  TempDir dir;
  REQUIRE(run(tiny_gpt_train(dir) + " trainer.max_iters=2", dir).status == 0);
  auto translate = run("translate " + (dir / "kjv_char_tiny") + " --input /dev/null", dir);
  CHECK(translate.status != 0);
  CHECK_THAT(translate.err, Contains("is a gpt run, not a translator"));
  auto beam = run("eval " + (dir / "kjv_char_tiny") + " --beam 5", dir);
  CHECK(beam.status != 0);
  CHECK_THAT(beam.err, Contains("--beam applies to translators"));
  auto maps = run("eval " + (dir / "kjv_char_tiny") + " --attention-maps 4", dir);
  CHECK(maps.status != 0);
  CHECK_THAT(maps.err, Contains("--attention-maps needs a model over image patches") && Contains("is a gpt run"));
}

TEST_CASE("CLI: train the tiny ViT, evaluate it on the test split and draw its attention maps") {
  TempDir dir;
  attnlab::testing::image_fixture(dir / "images", 60, 10);
  const std::string train = std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/vit/fashion_mnist_tiny.yaml" +
                            " experiment.out_dir=" + dir.path() + " data.dir=" + (dir / "images");
  auto trained = run(train, dir);
  REQUIRE(trained.status == 0);
  CHECK_THAT(trained.out, Contains("44 train / 16 val / 10 test images of 1x28x28, 10 classes"));
  CHECK_THAT(trained.out, Contains("vit with"));

  const std::string run_dir = dir / "vit_tiny";
  auto eval = run("eval " + run_dir + " --split test --attention-maps 6", dir);
  REQUIRE(eval.status == 0);
  CHECK_THAT(eval.out, Contains("accuracy") && Contains("Ankle boot") && Contains(run_dir + "/attention_test.png"));
  const auto j = nlohmann::json::parse(attnlab::testing::read_text(run_dir + "/eval_test.json"));
  CHECK(j.at("examples") == 10);
  CHECK(j.at("confusion").at("class_names").at(0) == "T-shirt/top");
  CHECK(j.at("confusion").at("classes").size() == 10);

  // Six examples in rows of four: 4 cells of 2 x 112 px panels (+ gap and margins) across,
  // a title bar and two rows of 112 px panels with captions down.
  const attnlab::RgbImage png = attnlab::read_png(run_dir + "/attention_test.png");
  CHECK(png.width == 4 * (2 * 112 + 6 + 16));
  CHECK(png.height == 24 + 2 * (112 + 26 + 16));
  // Test image 0 (label 0) is bright in its top-left 7x7 block and dark in the bottom right.
  const attnlab::Rgb inside = png.at(8 + 10, 24 + 8 + 10), outside = png.at(8 + 100, 24 + 8 + 100);
  CHECK(inside.r > 200);
  CHECK(outside.r < 60);
  CHECK((inside.r == inside.g && inside.g == inside.b));  // a grey image

  auto typo = run(train + " model.pol=mean", dir);
  CHECK(typo.status != 0);
  CHECK_THAT(typo.err, Contains("model.pol") && Contains("pool"));
}

TEST_CASE("CLI: bench --seq-lengths measures each variant at each length, a window's FLOPs grow linearly") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  const std::string bench = std::string("bench ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml data.path=" +
                            (dir / "text.txt") + " model.pos_encoding=rope trainer.batch_size=1 --steps 1 --warmup 0" +
                            " --out " + (dir / "lengths");
  auto r = run(bench + " --seq-lengths 32,64,128 --variant full --variant \"w4 model.attention_window=4\"", dir);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("log-log slopes"));
  const auto j = nlohmann::json::parse(attnlab::testing::read_text(dir / "lengths/seq_lengths.json"));
  const auto& full = j.at("variants").at("full").at("points");
  const auto& window = j.at("variants").at("w4").at("points");
  REQUIRE((full.size() == 3 && window.size() == 3));
  for (size_t i = 0; i < 3; ++i) {
    CHECK(full[i]["n"] == 32 << i);
    CHECK(window[i]["flops_per_step"].get<double>() < full[i]["flops_per_step"].get<double>());
  }
  // The window's FLOPs double with n (blocks of 4 queries); full attention's grow faster.
  CHECK(j["variants"]["w4"]["slopes"]["flops"].get<double>() == Approx(1.0).margin(0.01));
  CHECK(j["variants"]["full"]["slopes"]["flops"].get<double>() > 1.05);
  CHECK(fs::exists(dir / "lengths/full.dat"));
  // Bad requests are refused before anything is measured.
  CHECK_THAT(run(bench + " --seq-lengths 64,32", dir).err, Contains("rising"));
  CHECK_THAT(run(bench + " --seq-lengths 32 --variant \"a/b model.n_layer=1\"", dir).err, Contains("letters, digits"));
  CHECK_THAT(run(bench + " --seq-lengths 32 --variant \"w model.n_layr=1\"", dir).err, Contains("n_layer"));
}
