// The seq2seq translator: causality, dependence on the source, padding invariance, the
// decoder's key/value cache, greedy and beam search, token-count batching, the parallel
// data, and a tiny corpus memorised and translated end to end.
#include <catch2/catch.hpp>

#include <set>

#include "datasets/char_tokenizer.h"
#include "datasets/parallel_corpus.h"
#include "datasets/parallel_text.h"
#include "datasets/token_batching.h"
#include "datasets/verse_corpus.h"
#include "models/seq2seq.h"
#include "models/translation_search.h"
#include "models/translation_task.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

Seq2seqOptions tiny_options() {
  Seq2seqOptions o;
  o.vocab_size = 24, o.max_len = 24, o.n_layer = 2, o.n_decoder_layer = 2, o.n_head = 2, o.n_embd = 16;
  o.dropout = 0.0, o.pad_id = 0;
  return o;
}

Seq2seq tiny_model(uint64_t seed = 1) {
  torch::manual_seed(seed);
  Seq2seq model(tiny_options());
  model->eval();
  return model;
}

// Random ids in [5, 24): no special tokens.
torch::Tensor random_ids(int64_t b, int64_t t) { return torch::randint(5, 24, {b, t}, torch::kLong); }

bool close(const torch::Tensor& a, const torch::Tensor& b) { return torch::allclose(a, b, 1e-5, 1e-5); }

}  // namespace

TEST_CASE("translator: the decoder is causal, and its output depends on the source") {
  auto model = tiny_model();
  torch::NoGradGuard no_grad;
  auto src = random_ids(2, 5), tgt = random_ids(2, 6);
  auto logits = model(src, tgt);
  REQUIRE(logits.sizes() == torch::IntArrayRef({2, 6, 24}));

  auto changed = tgt.clone();
  changed.index_put_({torch::indexing::Slice(), 3}, (tgt.select(1, 3) - 5 + 1) % 19 + 5);
  auto after = model(src, changed);
  CHECK(close(logits.narrow(1, 0, 3), after.narrow(1, 0, 3)));       // the past does not see the future
  CHECK_FALSE(close(logits.narrow(1, 3, 3), after.narrow(1, 3, 3)));  // from position 3 on it changes

  auto other_src = src.clone();
  other_src.index_put_({torch::indexing::Slice(), 4}, (src.select(1, 4) - 5 + 1) % 19 + 5);
  auto with_other = model(other_src, tgt);
  for (int64_t t = 0; t < 6; ++t)  // cross-attention: every target position sees the whole source
    CHECK_FALSE(close(logits.select(1, t), with_other.select(1, t)));
}

TEST_CASE("translator: padding on either side changes nothing for the real tokens") {
  auto model = tiny_model();
  torch::NoGradGuard no_grad;
  auto src = random_ids(1, 4), tgt = random_ids(1, 3);
  auto alone = model(src, tgt);
  // Batched with a longer pair: this pair's source and target are padded with [PAD] (id 0).
  auto src_batch = torch::zeros({2, 7}, torch::kLong), tgt_batch = torch::zeros({2, 5}, torch::kLong);
  src_batch[0].narrow(0, 0, 4).copy_(src[0]);
  src_batch[1].copy_(random_ids(1, 7)[0]);
  tgt_batch[0].narrow(0, 0, 3).copy_(tgt[0]);
  tgt_batch[1].copy_(random_ids(1, 5)[0]);
  auto batched = model(src_batch, tgt_batch);
  CHECK(close(alone[0], batched[0].narrow(0, 0, 3)));
}

TEST_CASE("translation task: label-smoothed loss and NLL by hand, [PAD] targets ignored") {
  auto model = tiny_model();
  auto src = random_ids(2, 4), tgt_in = random_ids(2, 3), tgt_out = random_ids(2, 3);
  tgt_out[1][2] = 0;  // one padded target position
  TranslationTaskOptions o;
  o.label_smoothing = 0.2, o.eval_bleu = false, o.pad_id = 0;
  TranslationTask task(model, o);
  const TaskOutput out = task.compute({{"source", src}, {"target_in", tgt_in}, {"target_out", tgt_out}});
  CHECK(out.loss_count == 5);
  // By hand: (1 - e) * -log p(target) + e * mean over the vocabulary of -log p(k).
  auto logp = torch::log_softmax(model(src, tgt_in), -1);
  double smoothed = 0, nll = 0;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t) {
      if (b == 1 && t == 2) continue;
      const double target = -logp[b][t][tgt_out[b][t].item<int64_t>()].item<double>();
      smoothed += 0.8 * target + 0.2 * -logp[b][t].mean().item<double>();
      nll += target;
    }
  CHECK(out.loss.item<double>() == Approx(smoothed / 5).epsilon(1e-5));
  CHECK(out.metrics.value("nll") == Approx(nll / 5).epsilon(1e-5));
}

TEST_CASE("translator: decoding one token at a time with the cache equals the full decoder") {
  auto model = tiny_model();
  torch::NoGradGuard no_grad;
  auto src = random_ids(3, 6), tgt = random_ids(3, 7);
  src.index_put_({0, torch::indexing::Slice(4, torch::indexing::None)}, 0);  // a padded source row
  auto memory = model->encode(src);
  auto full = model->decode(tgt, memory);
  auto cache = model->new_cache();
  for (int64_t t = 0; t < 7; ++t) {
    auto step = model->decode(tgt.narrow(1, t, 1), memory, &cache);
    CHECK(close(step.select(1, 0), full.select(1, t)));
  }
  CHECK(cache.length == 7);
}

TEST_CASE("translator: beam search with beam 1 equals greedy, and outputs respect the length limit") {
  SearchOptions o;
  o.bos_id = 2, o.eos_id = 3, o.max_output_ratio = 1.0, o.max_output_extra = 2;
  for (uint64_t seed : {1, 2, 3}) {
    auto model = tiny_model(seed);
    auto src = random_ids(4, 6);
    src.index_put_({1, torch::indexing::Slice(3, torch::indexing::None)}, 0);  // 3 real tokens
    const auto greedy = greedy_search(*model, src, o);
    o.beam = 1;
    CHECK(beam_search(*model, src, o) == greedy);
    o.beam = 4;
    const auto beam = beam_search(*model, src, o);
    REQUIRE(beam.size() == 4);
    for (size_t b = 0; b < 4; ++b) {
      const size_t limit = b == 1 ? 3 + 2 : 6 + 2;  // ratio * real source tokens + extra, [SEP] included
      CHECK(greedy[b].size() <= limit - 1);
      CHECK(beam[b].size() <= limit - 1);
    }
  }
}

TEST_CASE("translator: greedy and beam search give the same outputs with and without the key/value cache") {
  SearchOptions o;
  o.bos_id = 2, o.eos_id = 3, o.max_output_ratio = 2.0, o.max_output_extra = 4;
  size_t longest = 0;
  for (uint64_t seed : {1, 2, 3}) {
    auto model = tiny_model(seed);
    auto src = random_ids(3, 6);
    src.index_put_({2, torch::indexing::Slice(2, torch::indexing::None)}, 0);  // a padded source row
    for (int64_t beam : {1, 3}) {
      o.beam = beam;
      o.kv_cache = true;
      const auto cached = translate_batch(*model, src, o);
      o.kv_cache = false;
      const auto uncached = translate_batch(*model, src, o);
      CHECK(cached == uncached);
      for (const auto& out : cached) longest = std::max(longest, out.size());
    }
  }
  CHECK(longest >= 4);  // the searches ran for several steps, so the cache (and its reordering) mattered
}

TEST_CASE("token-count batching: never over the limit, every example exactly once") {
  std::vector<int64_t> lengths, order;
  unsigned state = 3;
  for (int64_t i = 0; i < 500; ++i) {
    state = state * 1103515245u + 12345u;
    lengths.push_back(1 + static_cast<int64_t>((state >> 16) % 60));
    order.push_back((i * 7) % 500);  // a permutation
  }
  const auto batches = token_batches(order, lengths, 128, 100);
  std::multiset<int64_t> seen;
  for (const auto& b : batches) {
    int64_t longest = 0;
    for (int64_t i : b) longest = std::max(longest, lengths[static_cast<size_t>(i)]), seen.insert(i);
    CHECK(static_cast<int64_t>(b.size()) * longest <= 128);
  }
  CHECK(seen.size() == 500);
  CHECK(std::set<int64_t>(seen.begin(), seen.end()).size() == 500);
  // Lengths 1..60 at random: bucketed by windows of 100, padding stays small.
  CHECK(padding_fraction(batches, lengths) < 0.1);
  CHECK_THROWS_WITH(token_batches(order, lengths, 50, 100), Contains("longer than max_tokens (50)"));
}

TEST_CASE("parallel text: epochs of token-count batches cover every training pair once, deterministically") {
  std::vector<ParallelPair> pairs;
  std::string all;
  for (int i = 0; i < 60; ++i) {
    std::string src(static_cast<size_t>(3 + i % 17), 'a' + static_cast<char>(i % 5));
    std::string tgt(static_cast<size_t>(2 + i % 11), 'f' + static_cast<char>(i % 4));
    pairs.push_back({"R " + std::to_string(i), src, tgt});
    all += src + tgt;
  }
  CharTokenizer tok = CharTokenizer::from_text(all, /*with_specials=*/true);
  auto splits = split_by_counts(60, 5, 5, 1234);
  ParallelBatchingOptions o;
  o.max_len = 24, o.max_tokens = 48, o.seed = 7;
  ParallelTextDataset data(pairs, splits, tok, o);
  CHECK(data.filtered() == 0);
  const int64_t n = data.batches_per_epoch();
  std::mt19937_64 rng(1);
  std::multiset<std::string> seen;
  for (int64_t draw = 0; draw < n; ++draw) {
    Batch b = data.sample("train", 0, rng, draw);
    const auto& src = b.at("source");
    CHECK(src.size(0) * std::max(src.size(1), b.at("target_out").size(1)) <= 48);
    // teacher forcing: target_in is [CLS] + target_out shifted right
    CHECK(b.at("target_in").select(1, 0).eq(tok.specials().cls).all().item<bool>());
    for (int64_t r = 0; r < src.size(0); ++r) {
      auto row = src[r];
      std::vector<int64_t> ids(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
      while (!ids.empty() && (ids.back() == tok.specials().pad || ids.back() == tok.specials().sep)) ids.pop_back();
      seen.insert(tok.decode(ids));
    }
  }
  std::multiset<std::string> expected;
  for (int64_t i : data.indices("train")) expected.insert(pairs[static_cast<size_t>(i)].source);
  CHECK(seen == expected);
  // The same draw gives the same batch from a fresh dataset (what resuming relies on); the
  // next epoch is another order.
  ParallelTextDataset again(pairs, splits, tok, o);
  CHECK(again.sample("train", 0, rng, n + 2).at("source").equal(data.sample("train", 0, rng, n + 2).at("source")));
  // Two processes train on whole batches of their own: rank r of 2 takes batch 2 * draw + r,
  // what one process takes at draws 2 * draw and 2 * draw + 1 with twice the accumulation.
  for (int rank = 0; rank < 2; ++rank)
    CHECK(data.sample_shard("train", 0, rank, 2, rng, 3).at("source").equal(data.sample("train", 0, rng, 6 + rank).at("source")));
  CHECK(data.epoch_batches(0) != data.epoch_batches(1));
  o.max_tokens = 8;
  CHECK_THROWS_WITH(ParallelTextDataset(pairs, splits, tok, o), Contains("must be at least data.max_len"));
}

TEST_CASE("parallel corpus: aligned by reference, gaps left out, malformed files named") {
  std::vector<Verse> en = {{"Gen 1:1", "In the beginning"}, {"Gen 1:2", "And the earth"}, {"Gen 1:3", ""},
                           {"Gen 1:4", "And God saw"}};
  std::vector<Verse> es = {{"Gen 1:1", "EN el principio"}, {"Gen 1:3", "Y dijo Dios"}, {"Gen 1:4", ""}};
  size_t dropped = 0;
  const auto pairs = align_verses(en, es, &dropped);
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0].target == "EN el principio");
  CHECK(dropped == 3);

  TempDir dir;
  write_text(dir / "p.tsv", format_parallel_tsv(pairs));
  const auto back = read_parallel_tsv(dir / "p.tsv");
  REQUIRE(back.size() == 1);
  CHECK((back[0].ref == "Gen 1:1" && back[0].source == "In the beginning" && back[0].target == "EN el principio"));
  write_text(dir / "bad.tsv", "a\tb\tc\nonly two\tfields\n");
  CHECK_THROWS_WITH(read_parallel_tsv(dir / "bad.tsv"), Contains("bad.tsv: expected three tab-separated fields (reference, source, target) at line 2"));
  CHECK_THROWS_WITH(read_parallel_tsv(dir / "bible-en-es.tsv"), Contains("attnlab data prepare bible-en-es"));
}

TEST_CASE("translator end to end: a tiny corpus of 10 pairs is memorised and translated exactly") {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"God is light.", "Dios es luz."},           {"the king is good.", "el rey es bueno."},
      {"I am the way.", "yo soy el camino."},      {"the sea is great.", "la mar es grande."},
      {"love one another.", "amaos unos a otros."}, {"the day is come.", "el día es venido."},
      {"the word was God.", "el verbo era Dios."}, {"peace be with you.", "la paz sea con vosotros."},
      {"give us this day.", "danos hoy el pan."},  {"the earth is his.", "suya es la tierra."}};
  TempDir dir;
  std::string tsv;  // every pair twice: whichever line the split sends to val, all ten are trained on
  for (int copy = 0; copy < 2; ++copy)
    for (size_t i = 0; i < pairs.size(); ++i)
      tsv += "R " + std::to_string(i) + "\t" + pairs[i].first + "\t" + pairs[i].second + "\n";
  write_text(dir / "pairs.tsv", tsv);
  TrainRequest req;
  req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/translator/bible_en_es_tiny.yaml";
  req.overrides = {"experiment.out_dir=" + dir.path(), "data.path=" + (dir / "pairs.tsv"), "data.tokenizer=char",
                   "data.val_examples=1", "data.test_examples=0", "data.max_tokens=0", "model.max_len=32",
                   "model.n_embd=64", "model.n_head=4", "model.dropout=0", "model.label_smoothing=0",
                   "trainer.max_iters=800", "trainer.batch_size=16",
                   "trainer.eval_interval=800", "trainer.eval_iters=1", "trainer.best_metric=val_loss",
                   "trainer.checkpoint_interval=800", "optimizer.learning_rate=3e-3", "schedule.warmup_iters=20"};
  const TrainSummary summary = train(req);
  REQUIRE(summary.step == 800);

  std::string input;
  for (const auto& p : pairs) input += p.first + "\n";
  input += "\n";                         // an empty line gives an empty line
  input += std::string(100, 'a') + "\n";  // longer than max_len: truncated (with a warning), not a crash
  input += "G\xE2\x82\xAC\x64 is light\n";     // "G€d": a character outside the vocabulary is [UNK]
  write_text(dir / "in.txt", input);
  // Translation reads the run directory alone (trainers/run_model.h): not the training pairs.
  std::filesystem::rename(dir / "pairs.tsv", dir / "moved.tsv");
  for (int64_t beam : {1, 3}) {
    TranslateRequest t;
    t.run_dir = summary.run_dir, t.input = dir / "in.txt", t.beam = beam, t.checkpoint = "last";
    const auto out = translate(t);
    REQUIRE(out.size() == pairs.size() + 3);
    for (size_t i = 0; i < pairs.size(); ++i) CHECK(out[i] == pairs[i].second);
    CHECK(out[pairs.size()].empty());
    t.kv_cache = false;  // `attnlab translate --no-kv-cache`
    CHECK(translate(t) == out);
  }
  std::filesystem::rename(dir / "moved.tsv", dir / "pairs.tsv");
  // Scored by `attnlab eval` on the (memorised) training split: BLEU and chrF are 100, and
  // the outputs are written for other scorers.
  EvalRequest e;
  e.run_dir = summary.run_dir, e.split = "train", e.checkpoint = "last", e.beam = 2;
  const auto report = evaluate_run(e);
  const auto j = nlohmann::json::parse(attnlab::testing::read_text(report.json_path));
  CHECK(j.at("bleu").get<double>() == Approx(100.0));
  CHECK(j.at("chrf").get<double>() == Approx(100.0));
  CHECK_THAT(report.json_path, Contains("eval_train_last_beam2.json"));
  const std::string outputs = attnlab::testing::read_text(summary.run_dir + "/eval_train_last_beam2.out.txt");
  CHECK(outputs == attnlab::testing::read_text(summary.run_dir + "/eval_train_last_beam2.ref.txt"));
  CHECK_THAT(outputs, Contains("la paz sea con vosotros.\n"));
  CHECK_THAT(attnlab::testing::read_text(summary.run_dir + "/eval_train_last_beam2.src.txt"), Contains("peace be with you.\n"));
}

TEST_CASE("translator: resuming mid-epoch replays the same token-count batches (exact resume)") {
  torch::set_num_threads(1);
  TempDir dir;
  std::string tsv;
  static const char* en[] = {"light", "day", "king", "sea", "word", "peace"};
  static const char* es[] = {"luz", "día", "rey", "mar", "verbo", "paz"};
  for (int i = 0; i < 40; ++i) {  // 38 training pairs of 1 to 4 words: a few batches per epoch
    std::string s, t;
    for (int k = 0; k <= i % 4; ++k) {
      s += std::string(k ? " " : "") + en[(i + k) % 6];
      t += std::string(k ? " " : "") + es[(i + k) % 6];
    }
    tsv += "R " + std::to_string(i) + "\t" + s + "\t" + t + "\n";
  }
  write_text(dir / "pairs.tsv", tsv);
  auto request = [&](const std::string& name, int64_t steps) {
    TrainRequest req;
    req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/translator/bible_en_es_tiny.yaml";
    req.overrides = {"experiment.out_dir=" + dir.path(), "experiment.name=" + name, "data.path=" + (dir / "pairs.tsv"),
                     "data.tokenizer=char", "data.val_examples=1", "data.test_examples=1", "data.max_tokens=96",
                     "model.max_len=32", "model.eval_bleu=false", "trainer.log_interval=1",
                     "trainer.max_iters=" + std::to_string(steps), "trainer.eval_interval=5",
                     "trainer.checkpoint_interval=5", "trainer.best_metric=val_loss"};
    return req;
  };
  train(request("straight", 16));
  train(request("resumed", 10));  // 7 batches per epoch: stops in the middle of the second
  REQUIRE(train({"", dir / "resumed", {"trainer.max_iters=16"}}).step == 16);
  const auto a = attnlab::testing::training_losses(dir / "straight");
  const auto b = attnlab::testing::training_losses(dir / "resumed");
  REQUIRE(a.size() == 16);
  REQUIRE(b.size() == 16);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-6));
}
