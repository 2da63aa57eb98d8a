// The training-memory estimate (models/memory_estimate.h): its weight count against the
// models as built, and the refusal of a size that cannot fit, before anything is allocated.
#include <catch2/catch.hpp>

#include "core/config/loader.h"
#include "core/util/memory.h"
#include "test_util.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

struct Family {
  std::string config;
  std::vector<std::string> overrides;
};

int64_t parameter_count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

TEST_CASE("memory estimate: the weights it counts are those the families build, within 10%") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  const std::string verses = attnlab::testing::verse_fixture(dir.path());
  attnlab::testing::image_fixture(dir.path());
  const std::string out = "experiment.out_dir=" + dir.path();
  const std::vector<Family> families = {
      {"gpt/kjv_char_tiny.yaml", {"data.path=" + dir / "text.txt", "model.tie_embeddings=false"}},
      {"gpt/kjv_char_tiny.yaml", {"data.path=" + dir / "text.txt", "model.n_embd=64", "model.activation=swiglu"}},
      {"bert/kjv_mlm_tiny.yaml", {"data.path=" + verses, "data.vocab_size=64"}},
      {"bert/kjv_books_tiny.yaml", {"data.path=" + verses, "data.vocab_size=64"}},
      {"vit/fashion_mnist_tiny.yaml", {"data.dir=" + dir.path(), "data.val_examples=10"}},
      {"icl/linear_regression_tiny.yaml", {}},
  };
  for (const auto& f : families) {
    INFO(f.config);
    auto overrides = f.overrides;
    overrides.push_back(out);
    const Experiment exp = Experiment::read(load_config(std::string(ATTNLAB_SOURCE_DIR) + "/configs/" + f.config, overrides));
    const Assembled a = assemble(exp, dir / "run", false, torch::kCPU);
    REQUIRE(exp.model.memory);
    const MemoryNeed need = exp.model.memory(a.data.context, exp.trainer.batch_size);
    // Weights, gradients and two moments: 16 bytes per parameter. (Heads' small extras, such
    // as BERT's masked-LM transform, are left out: the estimate is for refusing what cannot fit.)
    const double counted = need.parts.at(0).bytes / 16.0;
    const auto built = static_cast<double>(parameter_count(*a.model.module));
    CHECK(counted == Approx(built).epsilon(0.1));
    CHECK(need.parts.at(1).bytes > 0);  // activations
  }
}

TEST_CASE("memory estimate: a training step that cannot fit is refused before allocating, naming its keys") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  const std::string config = std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml";
  const std::string path = "data.path=" + dir / "text.txt", out = "experiment.out_dir=" + dir.path();
  // 1M-wide embeddings: 12 TB of weights alone, refused in well under a second.
  const Experiment wide = Experiment::read(load_config(config, {path, out, "model.n_embd=1000000", "model.n_head=1"}));
  CHECK_THROWS_WITH(assemble(wide, dir / "run", false, torch::kCPU, /*training=*/true),
                    Contains("a training step of this gpt (trainer.batch_size 4) needs about") &&
                        Contains("weights, their gradients and AdamW's two moments (model.n_layer, model.n_embd, "
                                 "model.mlp_ratio, model.vocab_size)") &&
                        Contains("lower model.n_layer, model.n_embd, model.mlp_ratio"));
  const Experiment batch = Experiment::read(load_config(config, {path, out, "trainer.batch_size=1000000000"}));
  CHECK_THROWS_WITH(assemble(batch, dir / "run", false, torch::kCPU, true),
                    Contains("lower trainer.batch_size, model.block_size"));
  // A translator's batches are counted in tokens (data.max_tokens), not rows.
  std::string tsv;
  for (int i = 0; i < 15; ++i) tsv += "R " + std::to_string(i) + "\tthe king is good.\tel rey es bueno.\n";
  write_text(dir / "pairs.tsv", tsv);
  const std::string translator = std::string(ATTNLAB_SOURCE_DIR) + "/configs/translator/bible_en_es_tiny.yaml";
  const std::vector<std::string> pairs = {"data.path=" + dir / "pairs.tsv", "data.vocab_size=40", "data.val_examples=2",
                                          "data.test_examples=0", out};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), pairs.begin(), pairs.end());
    return Experiment::read(load_config(translator, extra));
  };
  CHECK_THROWS_WITH(assemble(with({"data.max_tokens=1000000000000"}), dir / "t1", false, torch::kCPU, true),
                    Contains("lower data.max_tokens"));
  // ... and evaluation batches in trainer.batch_size rows, which must fit too.
  CHECK_THROWS_WITH(assemble(with({"trainer.batch_size=1000000000"}), dir / "t2", false, torch::kCPU, true),
                    Contains("lower trainer.batch_size, model.max_len"));
  CHECK_NOTHROW(assemble(with({"trainer.batch_size=64"}), dir / "t3", false, torch::kCPU, true));
  // What fits is built.
  const Experiment fine = Experiment::read(load_config(config, {path, out}));
  CHECK_NOTHROW(assemble(fine, dir / "run", false, torch::kCPU, true));
}

TEST_CASE("require_memory lists each part with its keys, the largest first") {
  MemoryNeed need;
  need.parts = {{"small", "a.x", 1024.0 * 1024}, {"large", "b.y", 3.0 * 1024 * 1024 * 1024}};
  CHECK_NOTHROW(require_memory(need, "work", -1));  // unknown: no check
  CHECK_NOTHROW(require_memory(need, "work", int64_t{4} << 30));
  CHECK_THROWS_WITH(require_memory(need, "work", int64_t{2} << 30),
                    "work needs about 3.0 GiB, but this process can take 2.0 GiB (estimated before allocating "
                    "anything):\n     3.0 GiB  large (b.y)\n       1 MiB  small (a.x)\nlower b.y");
  CHECK(available_memory_bytes() > 0);
}
