// The BERT-style encoder: padding invariance, bidirectionality, heads, fine-tuning from a
// pretrained run, and the classification task learning a fixture.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/config/loader.h"
#include "datasets/char_tokenizer.h"
#include "models/bert.h"
#include "models/classification_task.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/pretrained.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

BertOptions tiny_bert(const std::string& norm = "post") {
  BertOptions o;
  o.vocab_size = 30, o.max_len = 16, o.n_layer = 2, o.n_head = 2, o.n_embd = 16, o.dropout = 0.0;
  o.norm_position = norm, o.pad_id = 0;
  return o;
}

// `attnlab train` on a tiny BERT config over the verse fixture in `dir`.
TrainSummary train_tiny(const TempDir& dir, const std::string& config, std::vector<std::string> overrides) {
  const std::string path = attnlab::testing::verse_fixture(dir.path(), 6);
  overrides.push_back("data.path=" + path);
  overrides.push_back("data.refs=" + (dir / "bible.refs"));
  return attnlab::testing::train_config("bert/" + config, dir, overrides);
}

}  // namespace

TEST_CASE("BERT: appending padding leaves the outputs at real positions unchanged") {
  for (const char* norm : {"post", "pre"}) {
    for (const char* pooling : {"cls", "mean"}) {
      torch::manual_seed(0);
      BertOptions o = tiny_bert(norm);
      o.head = "classifier", o.num_classes = 3, o.pooling = pooling;
      Bert bert(o);
      bert->eval();
      auto ids = torch::tensor({{2, 7, 8, 9, 3}}, torch::kLong);
      auto padded = torch::tensor({{2, 7, 8, 9, 3, 0, 0, 0}}, torch::kLong);
      auto h = bert->forward(ids), hp = bert->forward(padded);
      CHECK(torch::allclose(h, hp.narrow(1, 0, 5), 1e-5, 1e-6));
      CHECK(torch::allclose(bert->classify(ids), bert->classify(padded), 1e-5, 1e-6));
    }
  }
}

TEST_CASE("BERT is bidirectional: a later token changes an earlier position's output") {
  torch::manual_seed(0);
  BertOptions o = tiny_bert();
  Bert bert(o);
  bert->eval();
  auto a = torch::tensor({{2, 7, 8, 9, 3}}, torch::kLong), b = a.clone();
  b[0][3] = 12;
  auto ha = bert->forward(a), hb = bert->forward(b);
  CHECK_FALSE(torch::allclose(ha.select(1, 1), hb.select(1, 1)));  // position 1 sees position 3
}

TEST_CASE("BERT masked-LM head: logits only at selected positions, projection tied to the embedding") {
  torch::manual_seed(0);
  Bert bert(tiny_bert());
  bert->eval();
  auto ids = torch::tensor({{2, 7, 4, 9, 3}, {2, 4, 8, 3, 0}}, torch::kLong);
  auto selected = ids.eq(4);
  auto logits = bert->mlm_logits(ids, selected);
  CHECK(logits.sizes() == torch::IntArrayRef({2, 30}));
  // By hand: dense -> GELU -> LayerNorm -> hidden · wteᵀ + bias, at the two [MASK] positions.
  auto h = bert->forward(ids);
  auto rows = torch::stack({h[0][2], h[1][1]});
  auto& head = bert->mlm_head;
  auto expected = torch::matmul(head->ln(torch::gelu(head->dense(rows))), bert->encoder->wte->weight.t()) + head->bias;
  CHECK(torch::allclose(logits, expected, 1e-5, 1e-6));
  CHECK(bert->named_parameters().find("mlm_head.decoder.weight") == nullptr);  // tied, not a copy
}

TEST_CASE("the classification task overfits a tiny fixture to 100% accuracy") {
  TempDir dir;
  auto s = train_tiny(dir, "kjv_books_tiny.yaml",
                      {"trainer.max_iters=150", "trainer.eval_interval=150", "trainer.batch_size=16",
                       "model.dropout=0.0", "optimizer.learning_rate=3e-3", "data.val_fraction=0.1",
                       "data.test_fraction=0.0"});
  CHECK(s.best_metric == "val_accuracy");
  // Evaluate on the training split itself: the fixture's 8 groups have disjoint vocabularies.
  EvalRequest req;
  req.run_dir = s.run_dir, req.split = "train", req.checkpoint = "last";
  auto report = evaluate_run(req);
  INFO(report.text);
  CHECK_THAT(report.text, Contains("accuracy           1.0000"));
  CHECK_THAT(report.text, Contains("macro_f1           1.0000"));
  // --checkpoint last names its file: the best checkpoint's figures are never overwritten.
  CHECK(std::filesystem::exists(s.run_dir + "/eval_train_last.json"));
  CHECK_FALSE(std::filesystem::exists(s.run_dir + "/eval_train.json"));
}

TEST_CASE("fine-tuning: init_from copies the encoder exactly, the head starts fresh, mismatches are refused") {
  TempDir dir;
  auto pre = train_tiny(dir, "kjv_mlm_tiny.yaml", {"trainer.max_iters=10"});
  REQUIRE(pre.step == 10);
  const std::string books = std::string(ATTNLAB_SOURCE_DIR) + "/configs/bert/kjv_books_tiny.yaml";
  auto configure = [&](std::vector<std::string> extra) {
    std::vector<std::string> o = {"data.path=" + (dir / "bible.txt"), "data.refs=" + (dir / "bible.refs"),
                                  "experiment.out_dir=" + dir.path()};
    o.insert(o.end(), extra.begin(), extra.end());
    return Experiment::read(load_config(books, o));
  };

  auto exp = configure({"model.init_from=" + pre.run_dir});
  torch::manual_seed(1);
  Assembled a = assemble(exp, dir / "ft", false, torch::kCPU);
  init_from_pretrained(*a.model.module, exp.model, a.data.context);
  // Every encoder tensor equals the pretrained checkpoint's; the classifier is as initialised.
  torch::manual_seed(1);
  Assembled ref = assemble(exp, dir / "ft", false, torch::kCPU);
  auto pre_exp = Experiment::read_run(pre.run_dir);
  Assembled pre_model = assemble(pre_exp, pre.run_dir, true, torch::kCPU);
  load_checkpoint(run_checkpoint(pre.run_dir, "best"), *pre_model.model.module, nullptr, torch::kCPU);
  auto pre_params = pre_model.model.module->named_parameters();
  int64_t compared = 0;
  for (const auto& p : a.model.module->named_parameters()) {
    if (p.key().rfind("encoder.", 0) == 0) {
      CHECK(p.value().equal(pre_params[p.key()]));
      ++compared;
    } else {
      CHECK(p.value().equal(ref.model.module->named_parameters()[p.key()]));  // fresh, as seeded
    }
  }
  CHECK(compared > 10);

  // A different encoder size: the error names the tensor.
  auto wide = configure({"model.init_from=" + pre.run_dir, "model.n_embd=48"});
  Assembled w = assemble(wide, dir / "w", false, torch::kCPU);
  CHECK_THROWS_WITH(init_from_pretrained(*w.model.module, wide.model, w.data.context),
                    Contains("tensor 'encoder.") && Contains("shape"));
  // A different vocabulary: refused before training, saying what to keep the same.
  auto other_vocab = configure({"model.init_from=" + pre.run_dir, "data.tokenizer=sentencepiece", "data.vocab_size=40"});
  Assembled v = assemble(other_vocab, dir / "v", false, torch::kCPU);
  CHECK_THROWS_WITH(init_from_pretrained(*v.model.module, other_vocab.model, v.data.context),
                    Contains("tokenizer") && Contains("differs"));
  // Not a BERT run.
  TempDir gdir;
  auto gpt = attnlab::testing::train_tiny_gpt(gdir, {"trainer.max_iters=2"});
  auto from_gpt = configure({"model.init_from=" + gpt.run_dir});
  Assembled f = assemble(from_gpt, dir / "f", false, torch::kCPU);
  CHECK_THROWS_WITH(init_from_pretrained(*f.model.module, from_gpt.model, f.data.context),
                    Contains("is a gpt run, not a bert run"));
  auto nowhere = configure({"model.init_from=" + (dir / "missing")});
  Assembled n = assemble(nowhere, dir / "n", false, torch::kCPU);
  CHECK_THROWS_WITH(init_from_pretrained(*n.model.module, nowhere.model, n.data.context),
                    Contains("does not exist") && Contains("pretrain first"));
}

TEST_CASE("freeze_encoder trains the head only, and it needs init_from") {
  TempDir dir;
  auto pre = train_tiny(dir, "kjv_mlm_tiny.yaml", {"trainer.max_iters=4"});
  auto ft = train_tiny(dir, "kjv_books_tiny.yaml",
                       {"model.init_from=" + pre.run_dir, "model.freeze_encoder=true", "trainer.max_iters=5",
                        "experiment.name=frozen"});
  REQUIRE(ft.step == 5);
  auto exp = Experiment::read_run(ft.run_dir);
  Assembled a = assemble(exp, ft.run_dir, true, torch::kCPU), b = assemble(exp, ft.run_dir, true, torch::kCPU);
  load_checkpoint(ft.run_dir + "/last.pt", *a.model.module, nullptr, torch::kCPU);
  init_from_pretrained(*b.model.module, exp.model, b.data.context);
  auto trained = a.model.module->named_parameters();
  for (const auto& p : b.model.module->named_parameters())
    if (p.key().rfind("encoder.", 0) == 0) CHECK(p.value().equal(trained[p.key()]));
  CHECK_THROWS_WITH(train_tiny(dir, "kjv_books_tiny.yaml", {"model.freeze_encoder=true", "experiment.name=x"}),
                    Contains("model.freeze_encoder: needs model.init_from"));
}

TEST_CASE("masked-LM training resumes exactly: 6 steps + resume + 6 steps equals 12 straight steps") {
  TempDir dir;
  auto straight = train_tiny(dir, "kjv_mlm_tiny.yaml",
                             {"trainer.max_iters=12", "experiment.name=straight", "trainer.checkpoint_interval=6"});
  auto first = train_tiny(dir, "kjv_mlm_tiny.yaml", {"trainer.max_iters=6", "experiment.name=split"});
  REQUIRE(first.step == 6);
  auto second = attnlab::testing::resume_run(first, 12);
  REQUIRE(second.step == 12);
  CHECK(attnlab::testing::max_param_diff(straight.run_dir, first.run_dir) == 0.0);
}

TEST_CASE("a family refuses data it cannot train on, before training") {
  TempDir dir;
  attnlab::testing::write_text(dir / "text.txt", attnlab::testing::small_corpus());
  attnlab::testing::write_text(dir / "bert_on_text.yaml", "experiment: {out_dir: " + dir.path() +
                                                              "}\ndata: {type: text, path: " + (dir / "text.txt") +
                                                              "}\nmodel: {type: bert, max_len: 16, n_embd: 16}\n");
  auto exp = Experiment::read(load_config(dir / "bert_on_text.yaml"));
  CHECK_THROWS_WITH(assemble(exp, dir / "run", false, torch::kCPU),
                    Contains("model.type bert cannot train on data.type text (a causal_lm objective)"));
}
