// Exported modules check their inputs (core/export/input_checks.h): in C++'s torch::jit::load
// and in Python's torch.jit.load, every wrong input raises with a message that names the
// argument and the limit, instead of a silent wrong answer or LibTorch's internal error.
#include <catch2/catch.hpp>

#include <torch/script.h>

#include "core/config/loader.h"
#include "test_util.h"

using namespace attnlab;
using attnlab::testing::run_command;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

std::string exported(const std::string& run_dir, const std::string& file) {
  ExportRequest r;
  r.run_dir = run_dir, r.out = file;
  const ExportSummary s = export_run(r);
  INFO(s.text);
  REQUIRE(s.passed);
  CHECK_THAT(s.text, Contains("input checks: "));
  return file;
}

// The message `method` of `file` raises on `inputs` ("<no error>" when it returns).
std::string raised(torch::jit::Module& m, const std::string& method, const Tensors& inputs) {
  try {
    m.get_method(method)({inputs.begin(), inputs.end()});
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no error>";
}

std::string run_tiny(const TempDir& dir, const std::string& config, std::vector<std::string> overrides) {
  TrainRequest req;
  req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/" + config;
  overrides.insert(overrides.end(), {"experiment.out_dir=" + dir.path(), "trainer.max_iters=2",
                                     "trainer.eval_interval=2", "trainer.eval_iters=1", "trainer.checkpoint_interval=2"});
  req.overrides = overrides;
  return train(req).run_dir;
}

}  // namespace

TEST_CASE("exported GPT: rope runs no further than block_size, and wrong ids, ranks, dtypes and batches raise, in "
          "C++ and in Python") {
  TempDir dir;
  const std::string run = attnlab::testing::train_tiny_gpt(dir, {"model.pos_encoding=rope", "trainer.max_iters=2"}).run_dir;
  const std::string file = exported(run, dir / "gpt.pt");
  torch::jit::Module m = torch::jit::load(file);
  const int64_t V = 19;  // small_corpus()'s characters
  const auto ok = torch::randint(0, V, {2, 16}, torch::kLong);
  CHECK_NOTHROW(m.forward({ok}));
  CHECK_THAT(raised(m, "forward", {torch::randint(0, V, {1, 17}, torch::kLong)}),
             Contains("forward(): idx has T = 17, more than the model's 16 (block_size)"));
  CHECK_THAT(raised(m, "forward", {ok[0]}),
             Contains("forward(): idx must be int64 [B, T] (token ids), got 1 dimensions"));
  CHECK_THAT(raised(m, "forward", {ok.to(torch::kFloat)}), Contains("got another dtype"));
  CHECK_THAT(raised(m, "forward", {ok.narrow(0, 0, 0)}), Contains("idx has B = 0"));
  CHECK_THAT(raised(m, "forward", {ok + V}), Contains("idx holds values outside [0, 19)"));
  CHECK_THAT(raised(m, "forward", {ok - V}), Contains("idx holds values outside [0, 19)"));

  // Python: the same refusals, as RuntimeError-carrying torch.jit.Error.
  write_text(dir / "misuse.py", R"(import sys, torch
m = torch.jit.load(sys.argv[1])
ok = torch.randint(0, 19, (2, 16))
for name, x in [("long", torch.randint(0, 19, (1, 17))), ("rank", ok[0]), ("dtype", ok.float()), ("id", ok + 19)]:
    try:
        m(x)
        print(name, "accepted")
    except Exception as e:
        print(name, [l for l in str(e).splitlines() if "forward():" in l][-1].strip())
print("fine", tuple(m(ok).shape))
)");
  const auto r = run_command(std::string(ATTNLAB_PYTHON) + " " + dir / "misuse.py" + " " + file, dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("long RuntimeError: invalid input: forward(): idx has T = 17, more than the model's 16 (block_size)"));
  CHECK_THAT(r.out, Contains("rank RuntimeError: invalid input: forward(): idx must be int64 [B, T] (token ids), got 1 dimensions"));
  CHECK_THAT(r.out, Contains("dtype RuntimeError: invalid input: forward(): idx must be int64 [B, T] (token ids), got another dtype"));
  CHECK_THAT(r.out, Contains("id RuntimeError: invalid input: forward(): idx holds values outside [0, 19)"));
  CHECK_THAT(r.out, Contains("fine (2, 16, 19)"));
  CHECK_FALSE(Contains("accepted").match(r.out));
}

TEST_CASE("exported translator, BERT, ViT and in-context regressor refuse the inputs that gave wrong answers") {
  TempDir dir;
  SECTION("translator: a 1-D source, a float source_mask, a row of padding only") {
    std::string tsv;
    for (int i = 0; i < 15; ++i) tsv += "R " + std::to_string(i) + "\tthe king is good.\tel rey es bueno.\n";
    write_text(dir / "pairs.tsv", tsv);
    const std::string run = run_tiny(dir, "translator/bible_en_es_tiny.yaml",
                                     {"data.path=" + dir / "pairs.tsv", "data.vocab_size=40", "data.val_examples=2",
                                      "data.test_examples=0"});
    torch::jit::Module m = torch::jit::load(exported(run, dir / "t.pt"));
    const auto source = torch::full({2, 5}, 7, torch::kLong);
    CHECK_THAT(raised(m, "encode", {source[0]}), Contains("encode(): source must be int64 [B, S]"));
    CHECK_THAT(raised(m, "encode", {torch::zeros({2, 5}, torch::kLong)}),
               Contains("encode(): a row of source is only padding (id 0)"));
    const auto enc = m.get_method("encode")({source}).toTuple()->elements();
    const auto memory = enc[0].toTensor(), mask = enc[1].toTensor();
    const auto target = torch::full({2, 3}, 2, torch::kLong);
    CHECK_NOTHROW(m.get_method("decode")({target, memory, mask}));
    CHECK_THAT(raised(m, "decode", {target, memory, mask.to(torch::kFloat)}),
               Contains("decode(): source_mask must be bool [B, S]") && Contains("got another dtype"));
    CHECK_THAT(raised(m, "decode", {target, memory, torch::ones_like(mask)}),
               Contains("decode(): a row of source_mask is true everywhere"));
    CHECK_THAT(raised(m, "decode", {target.narrow(0, 0, 1), memory, mask}),
               Contains("decode(): memory has B = 2, but target's is 1"));
  }
  SECTION("BERT masked-LM: a 1-D token tensor") {
    const std::string verses = attnlab::testing::verse_fixture(dir.path());
    const std::string run = run_tiny(dir, "bert/kjv_mlm_tiny.yaml", {"data.path=" + verses});
    torch::jit::Module m = torch::jit::load(exported(run, dir / "b.pt"));
    CHECK_THAT(raised(m, "forward", {torch::full({6}, 7, torch::kLong)}),
               Contains("forward(): idx must be int64 [B, T] (token ids, [CLS] first), got 1 dimensions"));
    CHECK_THAT(raised(m, "forward", {torch::full({1, 33}, 7, torch::kLong)}), Contains("more than the model's 32 (max_len)"));
  }
  SECTION("ViT: an image of the wrong size or channels") {
    attnlab::testing::image_fixture(dir.path());
    const std::string run = run_tiny(dir, "vit/fashion_mnist_tiny.yaml", {"data.dir=" + dir.path(), "data.val_examples=10"});
    torch::jit::Module m = torch::jit::load(exported(run, dir / "v.pt"));
    CHECK_NOTHROW(m.forward({torch::randn({2, 1, 28, 28})}));
    CHECK_THAT(raised(m, "forward", {torch::randn({2, 1, 32, 32})}),
               Contains("forward(): images has height = 32, but the model takes 28 (image height)"));
    CHECK_THAT(raised(m, "forward", {torch::randn({2, 3, 28, 28})}), Contains("images has channels = 3"));
  }
  SECTION("in-context regressor: x vectors of the wrong dimension, y values that do not match them") {
    const std::string run = run_tiny(dir, "icl/linear_regression_tiny.yaml", {});
    torch::jit::Module m = torch::jit::load(exported(run, dir / "i.pt"));
    const Experiment exp = Experiment::read_run(run);
    const auto xs = torch::randn({2, 3, 4}), ys = torch::randn({2, 3});
    const std::string got = raised(m, "forward", {xs, ys});
    INFO(got);
    CHECK_THAT(got, Contains("forward(): xs has d = 4, but the model takes"));
    const auto ok_x = torch::randn({2, 3, static_cast<int64_t>(std::stoll(got.substr(got.find("takes ") + 6)))});
    CHECK_NOTHROW(m.forward({ok_x, ys}));
    CHECK_THAT(raised(m, "forward", {ok_x, torch::randn({2, 2})}), Contains("forward(): ys has P = 2, but xs's is 3"));
  }
}
