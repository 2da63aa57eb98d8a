// Transformer-XL end to end: stream batching (data.stream), the memory carried by the task
// between batches, through checkpoints and around evaluations, generation with memory, and
// the config's refusals.
#include <catch2/catch.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <functional>
#include <numeric>

#include "core/config/loader.h"
#include "core/export/torchscript.h"
#include "datasets/char_tokenizer.h"
#include "datasets/text_dataset.h"
#include "models/gpt.h"
#include "models/recurrent_lm_task.h"
#include "test_util.h"
#include "trainers/evaluation.h"

using namespace attnlab;
using attnlab::testing::error_of;
using attnlab::testing::read_metrics;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

GPTOptions xl_gpt(int64_t memory_length, const std::string& positions = "rope") {
  GPTOptions o;
  o.vocab_size = 20, o.block_size = 8, o.n_layer = 2, o.n_head = 2, o.n_embd = 16;
  o.pos_encoding = positions, o.memory_length = memory_length;
  return o;
}

// A token stream whose token i is i (mod 1000): where a window starts shows in its values.
std::vector<int64_t> counting(int64_t n) {
  std::vector<int64_t> t(static_cast<size_t>(n));
  std::iota(t.begin(), t.end(), 0);
  return t;
}

}  // namespace

TEST_CASE("stream batching: row r of each batch continues row r of the one before, from a flagged start") {
  // 1000 tokens, val 0.2: train 800 = 3 streams of 266 tokens, (266 - 1) / 4 = 66 segments each.
  const TextDataset data(counting(1000), 0.2, /*block_size=*/4, /*streams=*/3);
  REQUIRE(data.segments_per_stream("train") == 66);
  std::mt19937_64 rng(1), other(99);
  const Batch b0 = data.sample("train", 3, rng, 0), b1 = data.sample("train", 3, other, 1);
  // Row r, segment s starts at token r * 266 + s * 4; the generator plays no part.
  CHECK(b0.at("input")[1].equal(torch::arange(266, 270, torch::kLong)));
  CHECK(b1.at("input")[2].equal(torch::arange(532 + 4, 532 + 8, torch::kLong)));
  CHECK(b0.at("target")[0].equal(torch::arange(1, 5, torch::kLong)));
  for (int64_t r = 0; r < 3; ++r)  // the next segment starts with this one's last target
    CHECK(b1.at("input")[r][0].item<int64_t>() == b0.at("target")[r][3].item<int64_t>());
  CHECK(b0.at("first").all().item<bool>());
  CHECK(!b1.at("first").any().item<bool>());
  // Draw 66 starts the streams again; draw 66 + 5 is draw 5 (a resumed run finds its place).
  CHECK(data.sample("train", 3, rng, 66).at("first").all().item<bool>());
  CHECK(data.sample("train", 3, rng, 71).at("input").equal(data.sample("train", 3, other, 5).at("input")));
  // Evaluation walks the val streams the same way: batch k of eval_batch is whole-split batch k.
  CHECK(data.num_examples("val") == 3 * data.segments_per_stream("val"));
  CHECK(data.eval_batch("val", 2, 5, 3).at("input").equal(data.examples("val", 6, 3).at("input")));
  CHECK(data.eval_batch("val", 0, 5, 3).at("input")[0][0].item<int64_t>() == 800);
  CHECK_THROWS_WITH(data.examples("val", 1, 3), Contains("batch size of 3"));
  CHECK_THROWS_WITH(data.sample("train", 6, rng, 0), Contains("one per stream"));
  CHECK_THROWS_WITH(TextDataset(counting(100), 0.2, 8, 4), Contains("lower trainer.batch_size or model.block_size"));
}

TEST_CASE("RecurrentLMTask: memory carried from batch to batch equals one pass over both segments") {
  torch::manual_seed(3);
  GPT gpt(xl_gpt(/*memory_length=*/8));
  gpt->eval();
  torch::NoGradGuard no_grad;
  RecurrentLMTask task(gpt, 8);
  const auto tokens = torch::randint(20, {2, 17});
  auto batch = [&](int64_t s, bool first) {
    return Batch{{"input", tokens.narrow(1, s * 8, 8)}, {"target", tokens.narrow(1, s * 8 + 1, 8)},
                 {"first", torch::full({2}, first, torch::kBool)}};
  };
  const double l0 = task.compute(batch(0, true)).loss.item<double>();
  CHECK(task.carried_state().size() == 2);
  const double l1 = task.compute(batch(1, false)).loss.item<double>();
  // One unbounded pass over 16 tokens sees what segment 2 saw through its memory of 8.
  GPTOptions whole_options = xl_gpt(0);
  whole_options.block_size = 16;
  GPT whole(whole_options);
  torch::NoGradGuard guard;
  for (size_t i = 0; i < whole->parameters().size(); ++i) whole->parameters()[i].copy_(gpt->parameters()[i]);
  whole->eval();
  const auto logits = whole(tokens.narrow(1, 0, 16));
  auto loss_of = [&](int64_t s) {
    return torch::nn::functional::cross_entropy(logits.narrow(1, s * 8, 8).flatten(0, 1),
                                                tokens.narrow(1, s * 8 + 1, 8).flatten())
        .item<double>();
  };
  CHECK(l0 == Approx(loss_of(0)).epsilon(1e-5));
  CHECK(l1 == Approx(loss_of(1)).epsilon(1e-5));
  // Without the memory the second segment's loss is another number.
  RecurrentLMTask fresh(gpt, 8);
  CHECK(fresh.compute(batch(1, true)).loss.item<double>() != Approx(l1).epsilon(1e-4));
  // A first flag starts afresh; a batch without flags, or mixing them, is refused.
  CHECK(task.compute(batch(1, true)).loss.item<double>() == Approx(fresh.compute(batch(1, true)).loss.item<double>()));
  Batch unflagged = batch(0, true);
  unflagged.erase("first");
  CHECK_THROWS_WITH(task.compute(unflagged), Contains("data.stream: true"));
  Batch mixed = batch(0, true);
  mixed["first"] = torch::tensor({true, false});
  CHECK_THROWS_WITH(task.compute(mixed), Contains("mixes rows"));
  // State that does not fit is refused, leaving the memory as it was.
  const auto before = task.carried_state();
  CHECK_THROWS_WITH(task.set_carried_state({{"memory.0", torch::zeros({2, 9, 16})}, {"memory.1", torch::zeros({2, 9, 16})}}),
                    Contains("does not fit"));
  CHECK(task.carried_state().at("memory.1").equal(before.at("memory.1")));
}

TEST_CASE("evaluation walks its own streams and leaves training's memory as it was") {
  torch::manual_seed(4);
  CharTokenizer tok = CharTokenizer::from_text(attnlab::testing::small_corpus());
  const TextDataset data(tok.encode(attnlab::testing::small_corpus()), 0.1, 8, /*streams=*/2);
  GPTOptions o = xl_gpt(8);
  o.vocab_size = tok.vocab_size();
  GPT gpt(o);
  RecurrentLMTask task(gpt, 8);
  std::mt19937_64 rng(0);
  for (int64_t d = 0; d < 3; ++d) task.compute(data.sample("train", 2, rng, d));
  const auto before = task.carried_state();
  REQUIRE(before.size() == 2);
  const MetricSums sums = evaluate_split(*gpt, task, data, "val", 2, /*iters=*/3, torch::kCPU);
  CHECK(task.carried_state().at("memory.0").equal(before.at("memory.0")));
  // The evaluation is a walk from an empty memory, whatever training held.
  RecurrentLMTask walker(gpt, 8);
  gpt->eval();
  torch::NoGradGuard no_grad;
  double sum = 0, count = 0;
  for (int64_t k = 0; k < 3; ++k) {
    const auto out = walker.compute(data.eval_batch("val", k, 3, 2));
    sum += out.loss.item<double>() * static_cast<double>(out.loss_count), count += static_cast<double>(out.loss_count);
  }
  CHECK(sums.value("loss") == Approx(sum / count).epsilon(1e-6));
}

TEST_CASE("Transformer-XL generation: cached and uncached agree past several segments, as the segments read it") {
  torch::manual_seed(5);
  GPT gpt(xl_gpt(/*memory_length=*/8, "alibi"));
  gpt->eval();
  const auto prompt = torch::randint(20, {1, 3});
  torch::Tensor cached_logits, plain_logits;
  const auto cached = gpt->generate(prompt, 30, 0.0, 0, 1, /*kv_cache=*/true, &cached_logits);
  const auto plain = gpt->generate(prompt, 30, 0.0, 0, 1, /*kv_cache=*/false, &plain_logits);
  REQUIRE(cached.size(1) == 33);  // four segments of block_size 8 and one more token
  CHECK(cached.equal(plain));
  CHECK(torch::allclose(cached_logits, plain_logits, 1e-4, 1e-4));
  // The logits that predicted token p are those forward_segment gives position p - 1 when it
  // reads the sequence in segments of 8 from its start, carrying the memory.
  torch::NoGradGuard no_grad;
  SegmentMemory memory;
  std::vector<torch::Tensor> segments;
  for (int64_t s = 0; s < 4; ++s) segments.push_back(gpt->forward_segment(cached.narrow(1, s * 8, 8), memory, 8));
  const auto read = torch::cat(segments, 1);  // [1, 32, V]: position p predicts token p + 1
  CHECK(torch::allclose(cached_logits, read.narrow(1, 2, 30), 1e-4, 1e-4));
  // A model without memory sees only its block: its continuation differs.
  GPT plain_gpt(xl_gpt(0, "alibi"));
  torch::NoGradGuard guard;
  for (size_t i = 0; i < plain_gpt->parameters().size(); ++i) plain_gpt->parameters()[i].copy_(gpt->parameters()[i]);
  plain_gpt->eval();
  torch::Tensor cropped_logits;
  plain_gpt->generate(prompt, 30, 0.0, 0, 1, true, &cropped_logits);
  CHECK(!torch::allclose(cropped_logits.narrow(1, 10, 20), cached_logits.narrow(1, 10, 20), 1e-3, 1e-3));
}

TEST_CASE("Transformer-XL export: the padded memory equals the growing one, and the file carries it exactly") {
  torch::manual_seed(6);
  const int64_t M = 12;  // block 8: the memory holds 8, then its last 12
  GPT gpt(xl_gpt(M, "rope"));
  gpt->eval();
  torch::NoGradGuard no_grad;
  const auto tokens = torch::randint(20, {2, 29});  // segments of 8, 8, 8 and 5
  auto segment = [&](int64_t s) { return tokens.narrow(1, s * 8, std::min<int64_t>(8, 29 - s * 8)); };
  // Reads the stream with `step` from zeros and filled 0, checking each segment against the
  // native growing memory.
  auto read_stream = [&](const std::function<Tensors(const Tensors&)>& step) {
    SegmentMemory grown;
    auto memory = torch::zeros({2, 2, M, 16});
    auto filled = torch::zeros({2}, torch::kLong);
    for (int64_t s = 0; s < 4; ++s) {
      const auto expected = gpt->forward_segment(segment(s), grown, M);
      const Tensors out = step({segment(s), memory, filled});
      CHECK(torch::allclose(out[0], expected, 1e-5, 1e-5));
      const int64_t m = grown.length();
      CHECK(out[2].equal(torch::full({2}, m, torch::kLong)));
      for (int64_t l = 0; l < 2; ++l) {
        CHECK(torch::allclose(out[1][l].narrow(1, M - m, m), grown.layers[static_cast<size_t>(l)], 1e-6, 1e-6));
        CHECK(out[1][l].narrow(1, 0, M - m).abs().sum().item<float>() == 0.0f);  // padding stays zeros
      }
      memory = out[1], filled = out[2];
    }
  };
  auto native = [&](const Tensors& in) {
    auto [logits, memory, filled] = gpt->forward_segment_padded(in[0], in[1], in[2]);
    return Tensors{logits, memory, filled};
  };
  read_stream(native);

  // Rows at different points of their streams: row 1, starting afresh (filled 0), is read as
  // if alone, whatever its padding holds.
  auto memory = torch::randn({2, 2, M, 16});
  const auto out = native({segment(0), memory, torch::tensor({M, int64_t{0}})});
  SegmentMemory fresh;
  CHECK(torch::allclose(out[0][1], gpt->forward_segment(segment(0).narrow(0, 1, 1), fresh, M)[0], 1e-5, 1e-5));
  CHECK(!torch::allclose(out[0][0], gpt->forward_segment(segment(0).narrow(0, 0, 1), fresh, M)[0], 1e-2, 1e-2));

  // The file: verified at four shapes and against every limit, then read as the stream.
  TempDir dir;
  const ExportReport r = export_torchscript(*gpt, gpt->exportable(), dir / "xl.pt");
  INFO(r.table());
  REQUIRE(r.passed);
  CHECK(r.limits_checked > 10);
  CHECK(r.limits_refused == r.limits_checked);
  torch::jit::Module file = torch::jit::load(dir / "xl.pt");
  auto method = file.get_method("forward_segment");
  read_stream([&](const Tensors& in) {
    const auto tuple = method({in[0], in[1], in[2]}).toTuple();  // held: elements() points into it
    Tensors result;
    for (const auto& t : tuple->elements()) result.push_back(t.toTensor());
    return result;
  });
  CHECK_THROWS_WITH(method({segment(0), memory, torch::tensor({M + 1, int64_t{0}})}),
                    Contains("memory_filled holds values outside [0, 13) (memory_length + 1)"));
  CHECK_THROWS_WITH(method({segment(0), memory.narrow(2, 0, M - 1), torch::tensor({M, int64_t{0}})}),
                    Contains("memory has M = 11, but the model takes 12 (memory_length)"));
}

TEST_CASE("Transformer-XL training: exact resume with the memory in the checkpoint, and the config's refusals") {
  torch::set_num_threads(1);
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  write_text(dir / "exp.yaml",
             "experiment: {name: straight, seed: 5, threads: 1, device: cpu, out_dir: " + dir.path() + "}\n"
             "data: {path: " + (dir / "text.txt") + ", stream: true}\n"
             "model: {type: gpt, n_layer: 2, n_head: 2, n_embd: 32, block_size: 16, dropout: 0.1,\n"
             "        pos_encoding: rope, memory_length: 16}\n"
             "trainer: {max_iters: 12, batch_size: 4, eval_interval: 6, eval_iters: 2, log_interval: 1,"
             " checkpoint_interval: 6}\n"
             "schedule: {warmup_iters: 3, lr_decay_iters: 12}\n");
  train({dir / "exp.yaml", "", {}});
  train({dir / "exp.yaml", "", {"experiment.name=resumed", "trainer.max_iters=6"}});
  const TrainingState saved = load_checkpoint(dir / "resumed/last.pt", *attnlab::testing::trained_model(dir / "resumed"),
                                              nullptr, torch::kCPU);
  REQUIRE(saved.carried_state.size() == 2);
  CHECK(saved.carried_state.at("memory.1").sizes() == std::vector<int64_t>{4, 16, 32});
  train({"", dir / "resumed", {"trainer.max_iters=12"}});
  using attnlab::testing::training_losses;
  REQUIRE(training_losses(dir / "straight").size() == 12);
  // Bit-identical: step 7 continued the memory of step 6.
  CHECK(training_losses(dir / "straight") == training_losses(dir / "resumed"));
  auto val_losses = [](const std::vector<nlohmann::json>& records) {
    std::vector<double> v;
    for (const auto& r : records)
      if (r.contains("val_loss")) v.push_back(r["val_loss"]);
    return v;
  };
  const auto a = read_metrics(dir / "straight/metrics.jsonl"), b = read_metrics(dir / "resumed/metrics.jsonl");
  CHECK(val_losses(a) == val_losses(b));
  // Every progress record carries the host memory (trainer.cpp, core/util/allocator.h).
  for (const auto& r : a)
    if (r.contains("loss")) {
      CHECK(r.at("peak_rss_mib").get<double>() >= r.at("rss_mib").get<double>());
      CHECK(r.at("heap_mib").get<double>() >= r.at("heap_free_mib").get<double>());
    }

  // Refusals, naming the key.
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "exp.yaml", {"model.pos_encoding=learned"})); }),
             Contains("memory_length") && Contains("relative positions"));
  CHECK_THAT(error_of([&] { Experiment::read(load_config(dir / "exp.yaml", {"model.attention_window=4"})); }),
             Contains("memory_length") && Contains("attention_window"));
  CHECK_THAT(error_of([&] { train({dir / "exp.yaml", "", {"experiment.name=flowless", "data.stream=false"}}); }),
             Contains("data.stream: true"));
}
