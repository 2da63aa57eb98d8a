// The built-in data families: one registration each. A family reads its `data:` keys here
// (every key documented in docs/config.md) and builds its batch source, its tokenizer and
// the ModelContext the model is built from.
#include <fmt/format.h>

#include "datasets/masked_text.h"
#include "datasets/registry.h"
#include "datasets/text_dataset.h"
#include "datasets/verse_classification.h"

namespace attnlab {

namespace {

std::string percent(double x) { return fmt::format("{:.1f}%", 100.0 * x); }

// data.max_len for the verse families: 0 = the model's positions; more than those is an error.
int64_t resolve_max_len(int64_t max_len, const DataBuildContext& ctx) {
  if (max_len == 0) return ctx.model_seq_len;
  if (ctx.model_seq_len > 0 && max_len > ctx.model_seq_len)
    throw std::runtime_error(fmt::format("data.max_len ({}) is larger than the model's positions ({}): lower "
                                         "data.max_len or raise the model's max_len",
                                         max_len, ctx.model_seq_len));
  return max_len;
}

std::vector<std::string> train_verses(const VerseCorpus& corpus, const std::vector<int64_t>& train) {
  std::vector<std::string> texts;
  texts.reserve(train.size());
  for (int64_t i : train) texts.push_back(corpus.verses[static_cast<size_t>(i)]);
  return texts;
}

std::vector<std::string> verse_report(const VerseBatchSource& data, const VerseSplitOptions& o, const Tokenizer& tok) {
  return {fmt::format("data: {} | {} tokenizer, vocab {} | {} train / {} val / {} test verses", o.path, tok.type(),
                      tok.vocab_size(), data.num_examples("train"), data.num_examples("val"),
                      data.has_split("test") ? data.num_examples("test") : 0),
          fmt::format("verses: {:.1f} tokens on average with [CLS] and [SEP]; {} truncated to max_len {}",
                      data.mean_length(), percent(data.truncated_fraction()), data.max_len())};
}

DataSpec text_family(ConfigSection& s) {
  TextDataOptions o = TextDataOptions::read(s);
  return {"text", [o](const DataBuildContext& ctx) {
    const std::string text = read_text_file(o.path);
    // The char vocabulary comes from the whole text, as nanoGPT's.
    const std::vector<std::string> texts = {text};
    auto tok = obtain_tokenizer(ctx, o.tokenizer, texts, /*with_specials=*/false);
    auto data = std::make_shared<TextDataset>(tok->encode(text), o.val_fraction, ctx.model_seq_len);
    BuiltData built{data, tok, {}, {}};
    built.context.objective = "causal_lm";
    built.context.vocab_size = tok->vocab_size();
    built.context.seq_len = ctx.model_seq_len;
    built.context.tokenizer_fingerprint = tok->fingerprint();
    built.report = {fmt::format("data: {} | {} tokenizer, vocab {} | {} train / {} val tokens", o.path, tok->type(),
                                tok->vocab_size(), data->size("train"), data->size("val"))};
    return built;
  }};
}

// The keys both verse families read: the shared split, the tokenizer, the sequence length.
struct VerseDataOptions {
  VerseSplitOptions verses;
  TokenizerOptions tokenizer;
  int64_t max_len = 0;  // tokens per verse with [CLS] and [SEP]; 0 = the model's positions

  static VerseDataOptions read(ConfigSection& s) {
    VerseDataOptions o;
    o.verses = VerseSplitOptions::read(s);
    o.tokenizer = TokenizerOptions::read(s, "sentencepiece");
    ATTNLAB_READ(s, o, max_len);
    if (o.max_len != 0 && o.max_len < 3) s.fail("max_len", "must be >= 3 ([CLS], a token, [SEP]) or 0");
    return o;
  }
};

// What building a verse family starts with: the corpus, its split, and a tokenizer trained on
// the training verses only (nothing of val or test is seen before evaluation).
struct VerseInputs {
  VerseCorpus corpus;
  std::map<std::string, std::vector<int64_t>> splits;
  std::shared_ptr<const Tokenizer> tokenizer;
  int64_t max_len;

  VerseInputs(const VerseDataOptions& o, const DataBuildContext& ctx)
      : corpus(VerseCorpus::read(o.verses)),
        splits(split_verses(static_cast<int64_t>(corpus.verses.size()), o.verses)),
        tokenizer(obtain_tokenizer(ctx, o.tokenizer, train_verses(corpus, splits.at("train")), true)),
        max_len(resolve_max_len(o.max_len, ctx)) {}

  BuiltData built(std::shared_ptr<const VerseBatchSource> data, const VerseDataOptions& o,
                  const std::string& objective) const {
    BuiltData b{data, tokenizer, {}, verse_report(*data, o.verses, *tokenizer)};
    b.context.objective = objective;
    b.context.vocab_size = tokenizer->vocab_size();
    b.context.pad_id = tokenizer->specials().pad;
    b.context.seq_len = data->max_len();
    b.context.tokenizer_fingerprint = tokenizer->fingerprint();
    return b;
  }
};

DataSpec masked_text_family(ConfigSection& s) {
  const VerseDataOptions o = VerseDataOptions::read(s);
  MaskingOptions m;
  ATTNLAB_READ(s, m, mask_prob);
  ATTNLAB_READ(s, m, mask_token_prob);
  ATTNLAB_READ(s, m, random_token_prob);
  if (m.mask_prob <= 0 || m.mask_prob > 1) s.fail("mask_prob", "must be in (0, 1]");
  if (m.mask_token_prob < 0 || m.random_token_prob < 0 || m.mask_token_prob + m.random_token_prob > 1)
    s.fail("random_token_prob", "mask_token_prob and random_token_prob must be >= 0 and sum to at most 1");
  return {"masked_text", [o, m](const DataBuildContext& ctx) {
    VerseInputs in(o, ctx);
    auto data = std::make_shared<MaskedTextDataset>(in.corpus, in.splits, *in.tokenizer, in.max_len, m, ctx.seed);
    return in.built(data, o, "masked_lm");
  }};
}

DataSpec verse_classification_family(ConfigSection& s) {
  const VerseDataOptions o = VerseDataOptions::read(s);
  // Labelled training verses: a seeded subset of the training split (0 = all of it), for
  // experiments with few labels. The tokenizer still comes from the whole training split, so
  // it stays the pretraining run's.
  int64_t train_examples = s.get("train_examples", int64_t{0});
  if (train_examples < 0) s.fail("train_examples", "must be >= 0 (0 = the whole training split)");
  return {"verse_classification", [o, train_examples](const DataBuildContext& ctx) {
    VerseInputs in(o, ctx);
    auto splits = in.splits;
    splits["train"] = seeded_subset(splits.at("train"), train_examples, static_cast<uint64_t>(o.verses.split_seed) + 1);
    auto data = std::make_shared<VerseClassificationDataset>(in.corpus, splits, *in.tokenizer, in.max_len);
    BuiltData built = in.built(data, o, "classification");
    built.context.class_names = data->class_names();
    built.context.num_classes = static_cast<int64_t>(data->class_names().size());
    // The class sizes: the majority class's share is the accuracy any classifier must beat.
    for (const auto& split : data->splits()) {
      const auto counts = data->class_counts(split);
      std::string line = fmt::format("classes ({}):", split);
      int64_t most = 0, total = 0;
      for (size_t c = 0; c < counts.size(); ++c) {
        line += fmt::format(" {}={}", c, counts[c]);
        most = std::max(most, counts[c]), total += counts[c];
      }
      built.report.push_back(line + fmt::format(" | majority class {}", percent(static_cast<double>(most) / total)));
    }
    return built;
  }};
}

}  // namespace

void register_builtin_data() {
  register_data("text", text_family);
  register_data("masked_text", masked_text_family);
  register_data("verse_classification", verse_classification_family);
}

}  // namespace attnlab
