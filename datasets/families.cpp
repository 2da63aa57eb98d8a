// The built-in data families: one registration each. A family reads its `data:` keys here
// (every key documented in docs/config.md) and builds its batch source, its tokenizer and
// the ModelContext the model is built from.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "datasets/extra_corpora.h"
#include "datasets/icl_linear.h"
#include "datasets/image_classification.h"
#include "datasets/masked_text.h"
#include "datasets/parallel_text.h"
#include "datasets/registry.h"
#include "datasets/text_dataset.h"
#include "datasets/trajectory_dataset.h"
#include "datasets/verse_classification.h"

namespace attnlab {

namespace {

std::string percent(double x) { return fmt::format("{:.1f}%", 100.0 * x); }

// The class sizes of each split, and the majority class's share: the accuracy any classifier
// must beat.
void report_class_counts(BuiltData& built, const std::vector<std::string>& splits,
                         const std::function<std::vector<int64_t>(const std::string&)>& class_counts) {
  for (const auto& split : splits) {
    const auto counts = class_counts(split);
    std::string line = fmt::format("classes ({}):", split);
    int64_t most = 0, total = 0;
    for (size_t c = 0; c < counts.size(); ++c) {
      line += fmt::format(" {}={}", c, counts[c]);
      most = std::max(most, counts[c]), total += counts[c];
    }
    built.report.push_back(line + fmt::format(" | majority class {}", percent(static_cast<double>(most) / total)));
  }
}

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
    const TextDocuments docs = read_text_documents(o.path);
    const TextSplit split = split_documents(docs.documents, o.val_fraction);
    const bool several = docs.documents.size() > 1;
    // The char vocabulary comes from all the text, as nanoGPT's; a subword one from the
    // training text only. Several documents need the [SEP] between them.
    std::vector<std::string> all;
    for (const auto& d : docs.documents) all.push_back(d.text);
    auto tok = obtain_tokenizer(ctx, o.tokenizer, o.tokenizer.tokenizer == "char" ? all : split.train,
                                /*with_specials=*/several, /*lossless=*/true);
    auto encode = [&](const std::vector<std::string>& texts) {
      std::vector<int64_t> ids;
      for (size_t i = 0; i < texts.size(); ++i) {
        if (i > 0) ids.push_back(tok->specials().sep);
        const auto part = tok->encode(texts[i]);
        ids.insert(ids.end(), part.begin(), part.end());
      }
      return ids;
    };
    std::vector<int64_t> characters(static_cast<size_t>(tok->vocab_size()));
    for (int64_t id = 0; id < tok->vocab_size(); ++id) characters[static_cast<size_t>(id)] = tok->characters(id);
    const auto train = encode(split.train), val = encode(split.val);
    auto data = std::make_shared<TextDataset>(train, val, ctx.model_seq_len, o.stream ? ctx.batch_size : 0, characters);
    BuiltData built{data, tok, {}, {}};
    built.context.objective = "causal_lm";
    built.context.streams = o.stream;
    built.context.vocab_size = tok->vocab_size();
    built.context.seq_len = ctx.model_seq_len;
    built.context.tokenizer_fingerprint = tok->fingerprint();
    // Characters a token of text: the [SEP]s between documents stand for none.
    const size_t separators = split.train.size() + split.val.size() - (split.val.empty() ? 1 : 2);
    built.report = {fmt::format("data: {} | {} tokenizer, vocab {} | {} train / {} val tokens", o.path, tok->type(),
                                tok->vocab_size(), data->size("train"), data->size("val")),
                    fmt::format("text: {} train / {} val characters, {:.2f} characters a token", split.train_characters,
                                split.val_characters,
                                static_cast<double>(split.train_characters + split.val_characters) /
                                    static_cast<double>(train.size() + val.size() - separators))};
    if (several) {
      std::vector<std::string> val_names;  // the first few validation documents, by name
      for (size_t i = split.train.size(); i < docs.documents.size() && val_names.size() < 3; ++i)
        val_names.push_back(docs.documents[i].path);
      const size_t more = split.val.size() - val_names.size();
      built.report.push_back(fmt::format(
          "documents: {} ({} train / {} val, whole documents; the last {} of the characters for data.val_fraction {}), "
          "joined by {} (id {}) | val: {}{}",
          docs.documents.size(), split.train.size(), split.val.size(),
          percent(static_cast<double>(split.val_characters) /
                  static_cast<double>(split.train_characters + split.val_characters)),
          o.val_fraction, tok->piece(tok->specials().sep), tok->specials().sep, fmt::join(val_names, ", "),
          more > 0 ? fmt::format(" and {} more", more) : ""));
    }
    for (const auto& note : docs.notes) built.report.push_back(o.path + ": " + note);
    if (o.stream)
      built.report.push_back(fmt::format("streams: {} a split (trainer.batch_size), {} train / {} val segments of {} "
                                         "tokens each, read in order",
                                         data->streams(), data->segments_per_stream("train"),
                                         data->segments_per_stream("val"), ctx.model_seq_len));
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
    ATTNLAB_READ(s, o, max_len, Range::closed(0, 1 << 24, "0 = the model's positions"));
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
    if (!corpus.note.empty()) b.report.push_back(corpus.note);
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
  ATTNLAB_READ(s, m, mask_prob, Range::open_closed(0, 1));
  ATTNLAB_READ(s, m, mask_token_prob, Range::closed(0, 1));
  ATTNLAB_READ(s, m, random_token_prob, Range::closed(0, 1));
  if (m.mask_token_prob + m.random_token_prob > 1)
    s.fail("random_token_prob", fmt::format("mask_token_prob ({}) + random_token_prob ({}) must be at most 1",
                                            m.mask_token_prob, m.random_token_prob));
  // Unlabelled text added to training (datasets/extra_corpora.h), after the tokenizer is trained
  // on the Bible's training verses alone: fine-tuning, which reads only the Bible, gets the
  // same tokenizer.
  const std::string extra = s.get("extra_corpora", "");
  return {"masked_text", [o, m, extra](const DataBuildContext& ctx) {
    VerseInputs in(o, ctx);
    const auto extra_report = add_extra_corpora(extra, in.corpus, in.splits);
    auto data = std::make_shared<MaskedTextDataset>(in.corpus, in.splits, *in.tokenizer, in.max_len, m, ctx.seed);
    BuiltData built = in.built(data, o, "masked_lm");
    built.report.insert(built.report.end(), extra_report.begin(), extra_report.end());
    return built;
  }};
}

DataSpec verse_classification_family(ConfigSection& s) {
  const VerseDataOptions o = VerseDataOptions::read(s);
  // Labelled training verses: a seeded subset of the training split (0 = all of it), for
  // experiments with few labels. The tokenizer still comes from the whole training split, so
  // it stays the pretraining run's.
  const int64_t train_examples =
      s.get("train_examples", int64_t{0}, Range::at_least(0, "0 = the whole training split"));
  const std::string train_examples_key = s.where("train_examples");
  return {"verse_classification", [o, train_examples, train_examples_key](const DataBuildContext& ctx) {
    VerseInputs in(o, ctx);
    auto splits = in.splits;
    const auto available = static_cast<int64_t>(splits.at("train").size());
    if (train_examples > available)
      throw ConfigError(fmt::format("{}: asks for {} labelled examples, but the training split has {} verses "
                                    "(0 = all of them)",
                                    train_examples_key, train_examples, available));
    splits["train"] = seeded_subset(splits.at("train"), train_examples, static_cast<uint64_t>(o.verses.split_seed) + 1);
    auto data = std::make_shared<VerseClassificationDataset>(in.corpus, splits, *in.tokenizer, in.max_len);
    BuiltData built = in.built(data, o, "classification");
    built.context.class_names = data->class_names();
    built.context.num_classes = static_cast<int64_t>(data->class_names().size());
    report_class_counts(built, data->splits(), [&](const std::string& split) { return data->class_counts(split); });
    return built;
  }};
}

// Sentence pairs for translation (see datasets/parallel_text.h), with a joint tokenizer
// trained on both sides of the training pairs.
DataSpec parallel_text_family(ConfigSection& s) {
  // One TSV (`path`), or two line-aligned files (`source_path` and `target_path`, as fairseq
  // and Moses keep them: train.en / train.es), which then replace `path`.
  static const std::string kParallelTsv = "data/bible-en-es/bible-en-es.tsv";  // `attnlab data prepare bible-en-es`
  std::string path = s.get("path", kParallelTsv);
  const std::string source_path = s.get("source_path", ""), target_path = s.get("target_path", "");
  if (!source_path.empty() && path != kParallelTsv)
    s.fail("path", "names a TSV, but data.source_path and data.target_path are set too: they replace data.path; "
                   "keep one of the two");
  if (source_path.empty() != target_path.empty())
    s.fail(source_path.empty() ? "target_path" : "source_path",
           fmt::format("needs data.{} too (two line-aligned files, one a side)",
                       source_path.empty() ? "source_path" : "target_path"));
  const int64_t val_examples = s.get("val_examples", int64_t{1000}, Range::at_least(1));
  const int64_t test_examples = s.get("test_examples", int64_t{1000}, Range::at_least(0));
  const int64_t split_seed = s.get("split_seed", int64_t{1234}, Range::closed(0, kMaxSeed));
  const TokenizerOptions tokenizer = TokenizerOptions::read(s, "sentencepiece");
  ParallelBatchingOptions b;
  b.max_len = s.get("max_len", int64_t{0}, Range::closed(0, 1 << 24, "0 = the model's positions"));
  ATTNLAB_READ(s, b, max_tokens, Range::at_least(0, "0 = trainer.batch_size pairs per batch"));
  ATTNLAB_READ(s, b, bucket_window, Range::at_least(0, "0 = 100 batches' worth of pairs"));
  if (b.max_len != 0 && b.max_len < 2) s.fail("max_len", "must be >= 2 (a token and [SEP]) or 0");
  const std::string val_key = s.where("val_examples"), test_key = s.where("test_examples");
  return {"parallel_text", [=](const DataBuildContext& ctx) mutable {
    std::string note;  // pairs dropped for a blank side
    const auto pairs = source_path.empty() ? read_parallel_tsv(path, &note)
                                           : read_parallel_files(source_path, target_path, &note);
    const std::string from = source_path.empty() ? path : source_path + " + " + target_path;
    if (val_examples + test_examples >= static_cast<int64_t>(pairs.size()))
      throw ConfigError(fmt::format("{} ({}) and {} ({}) leave no training pairs of the {} in {}", val_key,
                                    val_examples, test_key, test_examples, pairs.size(), from));
    auto splits = split_by_counts(static_cast<int64_t>(pairs.size()), val_examples, test_examples,
                                  static_cast<uint64_t>(split_seed));
    std::vector<std::string> texts;  // joint vocabulary: both sides of the training pairs
    for (int64_t i : splits.at("train")) {
      texts.push_back(pairs[static_cast<size_t>(i)].source);
      texts.push_back(pairs[static_cast<size_t>(i)].target);
    }
    auto tok = obtain_tokenizer(ctx, tokenizer, texts, /*with_specials=*/true);
    b.max_len = resolve_max_len(b.max_len, ctx);
    b.seed = ctx.seed;
    auto data = std::make_shared<ParallelTextDataset>(pairs, splits, *tok, b);
    BuiltData built{data, tok, {}, {}};
    built.context.objective = "translation";
    built.context.vocab_size = tok->vocab_size();
    built.context.pad_id = tok->specials().pad;
    built.context.bos_id = tok->specials().cls;
    built.context.eos_id = tok->specials().sep;
    built.context.seq_len = b.max_len;
    built.context.batch_tokens = b.max_tokens;
    built.context.tokenizer_fingerprint = tok->fingerprint();
    built.context.detokenize = [tok](const std::vector<int64_t>& ids) { return tok->decode(ids); };
    built.report.push_back(fmt::format("data: {} | {} tokenizer (joint), vocab {} | {} train / {} val / {} test pairs",
                                       from, tok->type(), tok->vocab_size(), data->num_examples("train"),
                                       data->num_examples("val"),
                                       data->has_split("test") ? data->num_examples("test") : 0));
    if (!note.empty()) built.report.push_back(note);
    std::string batching = "random batches of trainer.batch_size pairs";
    if (b.max_tokens > 0) {
      const auto [src_pad, tgt_pad] = data->padding_fraction();
      batching = fmt::format("{} batches of <= {} tokens per epoch, padding {} (source) / {} (target)",
                             data->batches_per_epoch(), b.max_tokens, percent(src_pad), percent(tgt_pad));
    }
    built.report.push_back(fmt::format(
        "pairs: {:.1f} source / {:.1f} target tokens on average with [SEP]; {} training pairs longer than max_len {} "
        "left out, {} val/test pairs cut to it | {}",
        data->mean_source_length(), data->mean_target_length(), data->filtered(), b.max_len, data->truncated(),
        batching));
    return built;
  }};
}

// Images in IDX files or class folders of PNG/JPEG files (see datasets/image_classification.h); no tokenizer.
DataSpec image_classification_family(ConfigSection& s) {
  const ImageDataOptions o = ImageDataOptions::read(s);
  return {"image_classification", [o](const DataBuildContext& ctx) {
    ImageDataRead read = read_image_data(o, ctx.seed);  // IDX files, else class folders of PNG/JPEG images
    auto data = read.data;
    BuiltData built{data, nullptr, {}, {}};
    ModelContext& c = built.context;
    c.objective = "image_classification";
    c.class_names = data->class_names();
    c.num_classes = static_cast<int64_t>(c.class_names.size());
    c.image_channels = data->channels(), c.image_height = data->height(), c.image_width = data->width();
    c.image_mean = data->pixel_mean(), c.image_std = data->pixel_std();
    std::string augment = o.augment.any() ? "" : "none";
    if (o.augment.crop_padding > 0) augment += fmt::format("random crop with {} px padding", o.augment.crop_padding);
    if (o.augment.hflip) augment += std::string(augment.empty() ? "" : ", ") + "horizontal flip";
    if (o.augment.random_erasing > 0)
      augment += fmt::format("{}random erasing ({:g} of the images)", augment.empty() ? "" : ", ", o.augment.random_erasing);
    const bool has_test = data->has_split("test");  // an image folder may have none
    built.report.push_back(fmt::format(
        "data: {} | {} train / {} val{} images of {}x{}x{}{}, {} classes | normalised with the training mean "
        "{:.4f} and std {:.4f} | augmentation: {}",
        o.dir, data->num_examples("train"), data->num_examples("val"),
        has_test ? fmt::format(" / {} test", data->num_examples("test")) : "", data->channels(), data->height(),
        data->width(), has_test ? "" : " (no test split)", c.num_classes, data->pixel_mean(), data->pixel_std(), augment));
    built.report.insert(built.report.end(), read.notes.begin(), read.notes.end());
    std::string names;
    for (size_t k = 0; k < c.class_names.size(); ++k) names += fmt::format("{}{}={}", k ? ", " : "", k, c.class_names[k]);
    built.report.push_back("class names: " + names);
    report_class_counts(built, data->splits(), [&](const std::string& split) { return data->class_counts(split); });
    return built;
  }};
}

// In-context linear regression prompts (datasets/icl_linear.h); generated, no files, no tokenizer.
DataSpec icl_linear_family(ConfigSection& s) {
  const IclLinearOptions o = IclLinearOptions::read(s);
  return {"icl_linear", [o](const DataBuildContext& ctx) {
    auto data = std::make_shared<IclLinearDataset>(o, ctx.seed);
    BuiltData built{data, nullptr, {}, {}};
    ModelContext& c = built.context;
    c.objective = "icl_regression";
    c.input_dims = o.n_dims;
    c.seq_len = 2 * o.n_points;  // x1, y1, ..., xP, yP
    std::string curriculum = "none";
    if (o.curriculum_every > 0)
      curriculum = fmt::format("{} dims and {} points, +1 and +2 every {} batches", o.curriculum_dims,
                               o.curriculum_points, o.curriculum_every);
    built.report.push_back(fmt::format(
        "data: in-context linear regression | d = {}, {} points per prompt, noise {} | {} fixed val prompts | "
        "curriculum: {}",
        o.n_dims, o.n_points, o.noise_std, o.val_prompts, curriculum));
    return built;
  }};
}

}  // namespace

void register_builtin_data() {
  register_data("icl_linear", icl_linear_family);
  register_data("image_classification", image_classification_family);
  register_data("parallel_text", parallel_text_family);
  register_data("text", text_family);
  register_data("trajectories", trajectories_family);
  register_data("masked_text", masked_text_family);
  register_data("verse_classification", verse_classification_family);
}

}  // namespace attnlab
