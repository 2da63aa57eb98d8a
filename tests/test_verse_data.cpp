// The verse families: the shared split, BERT's dynamic masking, book-group labels, and the
// errors a researcher meets first.
#include <catch2/catch.hpp>

#include <set>

#include "core/config/loader.h"
#include "datasets/book_groups.h"
#include "datasets/char_tokenizer.h"
#include "datasets/masked_text.h"
#include "datasets/registry.h"
#include "datasets/verse_classification.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

TEST_CASE("masking: 15% of ordinary tokens selected, 80/10/10 of those, specials and padding never") {
  const SpecialTokens sp{0, 1, 2, 3, 4};
  const int64_t vocab = 50, B = 16, T = 40;
  std::mt19937_64 rng(11);
  int64_t ordinary = 0, selected = 0, masked = 0, kept = 0, replaced = 0;
  for (int draw = 0; draw < 200; ++draw) {
    // [CLS] tokens [SEP] [PAD]...: rows of different real lengths, a stray [UNK].
    auto input = torch::randint(5, vocab, {B, T}, torch::kLong);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = 10 + b;
      input[b][0] = sp.cls, input[b][len - 1] = sp.sep, input[b][3] = sp.unk;
      input.narrow(1, len, T - len).select(0, b).fill_(sp.pad);
    }
    const auto original = input.clone();
    auto target = mask_tokens(input, MaskingOptions{}, sp, vocab, rng);
    const auto special = original.lt(5);
    const auto sel = target.ge(0);
    REQUIRE_FALSE((sel & special).any().item<bool>());          // specials never selected
    REQUIRE(input.masked_select(special).equal(original.masked_select(special)));  // nor changed
    REQUIRE(target.masked_select(sel).equal(original.masked_select(sel)));  // targets are the originals
    REQUIRE_FALSE(input.masked_select(~sel).ne(original.masked_select(~sel)).any().item<bool>());
    ordinary += (~special).sum().item<int64_t>();
    selected += sel.sum().item<int64_t>();
    masked += (sel & input.eq(sp.mask)).sum().item<int64_t>();
    kept += (sel & input.eq(original)).sum().item<int64_t>();
    replaced += (sel & input.ne(original) & input.ne(sp.mask)).sum().item<int64_t>();
    REQUIRE_FALSE((sel & input.ne(original) & input.ne(sp.mask) & input.lt(5)).any().item<bool>());
  }
  const double n = static_cast<double>(selected);
  CHECK(n / static_cast<double>(ordinary) == Approx(0.15).margin(0.005));
  CHECK(masked / n == Approx(0.8).margin(0.01));
  // A random replacement can draw the original token (1 in 45 here): count those as kept.
  CHECK(replaced / n == Approx(0.1 * 44.0 / 45.0).margin(0.01));
  CHECK(kept / n == Approx(0.1 + 0.1 / 45.0).margin(0.01));
}

TEST_CASE("the verse split is seeded, disjoint, complete and 80/10/10") {
  VerseSplitOptions o;
  auto a = split_verses(1000, o), b = split_verses(1000, o);
  CHECK(a == b);
  CHECK(a.at("train").size() == 800);
  CHECK(a.at("val").size() == 100);
  CHECK(a.at("test").size() == 100);
  std::set<int64_t> all;
  for (const auto& kv : a) all.insert(kv.second.begin(), kv.second.end());
  CHECK(all.size() == 1000);
  o.split_seed = 99;
  CHECK(split_verses(1000, o).at("val") != a.at("val"));
  CHECK(book_of("Song of Solomon 2:1") == "Song of Solomon");
  CHECK(book_group("I Samuel") == 1);
  CHECK(book_group("Revelation of John") == 7);
  CHECK(book_group("Tobit") == -1);
}

TEST_CASE("verse classification: book-group labels, padded batches, whole-split examples in order") {
  TempDir dir;
  const std::string path = attnlab::testing::verse_fixture(dir.path(), 5);
  VerseSplitOptions o;
  o.path = path;
  const VerseCorpus corpus = VerseCorpus::read(o);
  REQUIRE(corpus.verses.size() == 80);
  auto tok = CharTokenizer::from_text(corpus.verses[0] + corpus.verses[40] + corpus.verses[79], true);
  auto splits = split_verses(80, o);
  VerseClassificationDataset data(corpus, splits, tok, 16);
  CHECK(data.splits() == std::vector<std::string>{"train", "val", "test"});
  auto batch = data.examples("val", 0, 100);  // more than there are: the whole split
  REQUIRE(batch.at("label").size(0) == 8);
  for (int64_t i = 0; i < 8; ++i) {
    const int64_t verse = splits.at("val")[static_cast<size_t>(i)];
    CHECK(batch.at("label")[i].item<int64_t>() == verse / 10);  // 10 verses per group, in order
  }
  const auto& input = batch.at("input");
  CHECK(input.size(1) == 16);                          // truncated to max_len
  CHECK((input.select(1, 0) == tok.specials().cls).all().item<bool>());
  CHECK((input.select(1, 15) == tok.specials().sep).all().item<bool>());
  const auto counts = data.class_counts("train");
  int64_t total = 0;
  for (auto c : counts) total += c;
  CHECK(total == 64);
  std::mt19937_64 rng(3), same(3);
  CHECK(data.sample("train", 4, rng).at("input").equal(data.sample("train", 4, same).at("input")));
}

TEST_CASE("masked evaluation batches mask each verse the same way every time") {
  TempDir dir;
  VerseSplitOptions o;
  o.path = attnlab::testing::verse_fixture(dir.path(), 5);
  const VerseCorpus corpus = VerseCorpus::read(o);
  auto tok = CharTokenizer::from_text(corpus.verses[0] + corpus.verses[79], true);
  MaskedTextDataset data(corpus, split_verses(80, o), tok, 64, MaskingOptions{}, 5);
  auto a = data.eval_batch("val", 0, 2, 4), b = data.eval_batch("val", 0, 2, 4);
  CHECK(a.at("input").equal(b.at("input")));
  CHECK(a.at("target").equal(b.at("target")));
  CHECK(a.at("target").ge(0).any().item<bool>());
  // The same verse is masked the same way whichever batch it is in.
  auto whole = data.examples("val", 0, 8);
  auto first = data.examples("val", 0, 1);
  CHECK(whole.at("target").narrow(0, 0, 1).narrow(1, 0, first.at("target").size(1)).equal(first.at("target")));
  std::mt19937_64 r1(1), r2(2);
  CHECK_FALSE(data.sample("train", 8, r1).at("target").equal(data.sample("train", 8, r2).at("target")));
}

TEST_CASE("verse data: a missing refs file, misaligned refs, an unknown book, max_len beyond the model") {
  TempDir dir;
  VerseSplitOptions o;
  o.path = attnlab::testing::verse_fixture(dir.path(), 3);
  o.refs = dir / "none.refs";
  CHECK_THROWS_WITH(VerseCorpus::read(o), Contains("none.refs' not found") && Contains("attnlab data prepare"));
  o.refs = "";
  write_text(dir / "bible.refs", "Genesis 1:1\n");
  CHECK_THROWS_WITH(VerseCorpus::read(o), Contains("has 48 lines but") && Contains("has 1"));
  attnlab::testing::verse_fixture(dir.path(), 3);
  std::string refs = attnlab::testing::read_text(dir / "bible.refs");
  write_text(dir / "bible.refs", refs.replace(0, 7, "Tobit  "));
  const VerseCorpus corpus = VerseCorpus::read(o);
  auto tok = CharTokenizer::from_text(corpus.verses[0], true);
  CHECK_THROWS_WITH(VerseClassificationDataset(corpus, split_verses(48, o), tok, 32),
                    Contains("'Tobit   1:1' (line 1) names no book"));

  attnlab::testing::verse_fixture(dir.path(), 3);
  auto exp = Experiment::read(load_config(std::string(ATTNLAB_SOURCE_DIR) + "/configs/bert/kjv_books_tiny.yaml",
                                          {"data.path=" + o.path, "data.refs=" + (dir / "bible.refs"), "data.max_len=64",
                                           "experiment.out_dir=" + dir.path()}));
  CHECK_THROWS_WITH(assemble(exp, dir / "run", false, torch::kCPU),
                    Contains("data.max_len (64) is larger than the model's positions (32)"));
}

TEST_CASE("train_examples keeps a seeded subset of labelled verses and the same tokenizer") {
  std::vector<int64_t> all(100);
  for (int64_t i = 0; i < 100; ++i) all[static_cast<size_t>(i)] = 3 * i;
  auto a = seeded_subset(all, 10, 5), b = seeded_subset(all, 10, 5);
  CHECK(a == b);
  CHECK(a.size() == 10);
  CHECK(std::is_sorted(a.begin(), a.end()));
  for (auto v : a) CHECK(v % 3 == 0);
  CHECK(seeded_subset(all, 10, 6) != a);
  CHECK(seeded_subset(all, 0, 5) == all);

  TempDir dir;
  const std::string path = attnlab::testing::verse_fixture(dir.path(), 5);
  auto build = [&](const std::string& n) {
    auto exp = Experiment::read(load_config(std::string(ATTNLAB_SOURCE_DIR) + "/configs/bert/kjv_books_tiny.yaml",
                                            {"data.path=" + path, "data.train_examples=" + n}));
    return assemble(exp, dir / "run", false, torch::kCPU).data;
  };
  auto few = build("12"), every = build("0");
  CHECK(few.source->num_examples("train") == 12);
  CHECK(every.source->num_examples("train") == 64);
  CHECK(few.source->num_examples("val") == every.source->num_examples("val"));
  CHECK(few.context.tokenizer_fingerprint == every.context.tokenizer_fingerprint);
}
