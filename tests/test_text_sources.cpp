// Users' own text (issue 28): lossless SentencePiece streams, text from files, folders and
// globs, bits per character, line-aligned parallel files, and `attnlab data check`.
#include <catch2/catch.hpp>

#include <cmath>

#include "datasets/parallel_corpus.h"
#include "datasets/sentencepiece_tokenizer.h"
#include "datasets/text_dataset.h"
#include "datasets/text_documents.h"
#include "datasets/text_lines.h"
#include "core/config/loader.h"
#include "datasets/utf8.h"
#include "models/causal_lm_task.h"
#include "trainers/data_check.h"
#include "trainers/evaluation.h"
#include "trainers/recipes.h"
#include "test_util.h"

using namespace attnlab;
using attnlab::testing::error_of;
using attnlab::testing::read_text;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

std::unique_ptr<Tokenizer> lossless_tokenizer(const std::string& kind = "bpe", int64_t vocab = 400) {
  static const std::vector<std::string> texts = {attnlab::testing::small_corpus(200)};
  TokenizerOptions o;
  o.tokenizer = "sentencepiece", o.vocab_size = vocab, o.sp_model_type = kind;
  TokenizerTraining t;
  t.texts = &texts, t.seed = 7, t.lossless = true;
  return train_tokenizer(o, t);
}

// Texts no English training corpus has seen: every kind of whitespace and character.
const std::vector<std::string>& hard_texts() {
  static const std::vector<std::string> texts = {
      "and the lord said\nunto him\n",
      "\n\n\nthree blank lines first, and none at the end",
      "  two leading spaces,\ttabs\t\tand trailing spaces   \n\tindented\n",
      "accents: é à ü ß Ñ; Spanish ¿qué? ¡sí!",
      "emoji 😀👍🏽 and CJK 日本語のテキスト",
      "SentencePiece's own space marker ▁ written in the text ▁▁ twice, and at the end▁",
      "the separator's spelling [SEP] and [PAD] as text",
      "\n",
      " ",
  };
  return texts;
}

}  // namespace

TEST_CASE("sentencepiece streams: decode(encode(text)) == text for newlines, tabs, accents, emoji and any character") {
  for (const std::string kind : {"bpe", "unigram"}) {
    const auto tok = lossless_tokenizer(kind);
    CHECK(tok->piece(SentencePieceTokenizer::kNewline) == "\n");
    for (const auto& text : hard_texts()) {
      INFO(kind << ": " << text);
      const auto ids = tok->encode(text);
      CHECK(tok->decode(ids) == text);
      // A newline is one token of its own, never merged into a piece.
      CHECK(std::count(ids.begin(), ids.end(), SentencePieceTokenizer::kNewline) ==
            std::count(text.begin(), text.end(), '\n'));
      // Characters unknown to the vocabulary come back through byte pieces, never [UNK].
      CHECK(std::count(ids.begin(), ids.end(), tok->specials().unk) == 0);
      // Bits per character: the characters of the tokens add up to the text's code points.
      int64_t characters = 0;
      for (int64_t id : ids) characters += tok->characters(id);
      CHECK(characters == static_cast<int64_t>(utf8_chars(text).size()));
      // A special token's spelling in the text stays text.
      CHECK(std::count_if(ids.begin(), ids.end(), [](int64_t id) { return id < 5; }) == 0);
    }
  }
  // No piece but the newline's holds a newline, and the special tokens decode as their pieces.
  const auto tok = lossless_tokenizer();
  for (int64_t id = 0; id < tok->vocab_size(); ++id)
    if (id != SentencePieceTokenizer::kNewline) CHECK(tok->piece(id).find('\n') == std::string::npos);
  const auto two = tok->encode("and\n"), three = tok->encode("unto");
  std::vector<int64_t> joined = two;
  joined.push_back(tok->specials().sep);
  joined.insert(joined.end(), three.begin(), three.end());
  CHECK(tok->decode(joined) == "and\n[SEP]unto");
  // A training line longer than the trainer takes is cut at a character boundary, not in one.
  const std::vector<std::string> long_line = {std::string(1, 'a') + [] {
    std::string s;
    for (int i = 0; i < 3000; ++i) s += "é";  // 2 bytes each: the 4000-byte cut falls after 'a' + 1999.5 of them
    return s;
  }()};
  TokenizerOptions o;
  o.tokenizer = "sentencepiece", o.vocab_size = 300, o.sp_model_type = "bpe";
  TokenizerTraining t;
  t.texts = &long_line, t.lossless = true;
  const auto from_long = train_tokenizer(o, t);
  CHECK(from_long->decode(from_long->encode(long_line[0])) == long_line[0]);
  // The run's tokenizer is saved and loaded back lossless.
  TempDir dir;
  tok->save(dir.path());
  const auto loaded = load_tokenizer(dir.path());
  for (const auto& t : hard_texts()) CHECK(loaded->encode(t) == tok->encode(t));
  // The vocabulary must hold the reserved pieces.
  CHECK_THROWS_WITH(lossless_tokenizer("bpe", 200), Contains("raise it to at least 264"));
  // And the characters SentencePiece keeps (here 80 distinct ones): the size its own check
  // asks for is the size to set, and that size trains.
  std::vector<std::string> many(1);
  for (unsigned c = 0x4E00; c < 0x4E00 + 80; ++c) {  // CJK ideographs, 3 UTF-8 bytes each
    const std::string ch = {char(0xE0 | (c >> 12)), char(0x80 | ((c >> 6) & 0x3F)), char(0x80 | (c & 0x3F))};
    for (int k = 0; k < 3; ++k) many[0] += ch + " ";
  }
  t.texts = &many, o.vocab_size = 264;
  const std::string small = error_of([&] { train_tokenizer(o, t); });
  INFO(small);
  const size_t at = small.find("raise it to at least ");
  REQUIRE(at != std::string::npos);
  CHECK_THAT(small, Contains("data.vocab_size (264) cannot hold the pieces"));
  o.vocab_size = std::stoll(small.substr(at + 21));
  CHECK(o.vocab_size >= 262 + 80);  // the 5 specials, the newline and 256 bytes, then the 80 characters
  CHECK_NOTHROW(train_tokenizer(o, t));
}

TEST_CASE("text documents: a folder's .txt files in sorted order, blank and other files left out and said, globs") {
  TempDir dir;
  write_text(dir / "corpus/b.txt", "second\n");
  write_text(dir / "corpus/a.txt", "first\r\nline two\n");  // "\r\n" read as "\n"
  write_text(dir / "corpus/sub/c.TXT", "third");
  write_text(dir / "corpus/sub/empty.txt", "  \n");
  write_text(dir / "corpus/notes.md", "not text");
  write_text(dir / "corpus/.hidden/d.txt", "hidden");
  const TextDocuments docs = read_text_documents(dir / "corpus");
  REQUIRE(docs.documents.size() == 3);
  CHECK(docs.documents[0].path == dir / "corpus/a.txt");
  CHECK(docs.documents[0].text == "first\nline two\n");
  CHECK(docs.documents[1].path == dir / "corpus/b.txt");
  CHECK(docs.documents[2].path == dir / "corpus/sub/c.TXT");
  REQUIRE(docs.notes.size() == 3);
  CHECK_THAT(docs.notes[0], Contains("left out 1 file without text") && Contains("empty.txt"));
  CHECK_THAT(docs.notes[1], Contains("1 file not named .txt"));
  CHECK_THAT(docs.notes[2], Contains("left out 1 hidden file or folder"));  // .hidden/, not entered
  // A glob: its matches in sorted order; a folder it matches read as a folder.
  const auto globbed = read_text_documents(dir / "corpus/[bs]*");
  REQUIRE(globbed.documents.size() == 2);
  CHECK(globbed.documents[0].path == dir / "corpus/b.txt");
  CHECK(globbed.documents[1].path == dir / "corpus/sub/c.TXT");
  CHECK_THAT(error_of([&] { read_text_documents(dir / "corpus/*.json"); }), Contains("matches no file"));
  write_text(dir / "other/x.md", "");
  CHECK_THAT(error_of([&] { read_text_documents(dir / "other"); }), Contains("a folder without .txt files"));
  CHECK_THAT(error_of([&] { read_text_documents(dir / "oth*"); }),
             Contains("matches only folders without .txt files (1 other file)"));
  CHECK_THAT(error_of([&] { read_text_documents(dir / "missing.txt"); }), Contains("not found"));
  write_text(dir / "bad/x.txt", "ok\n\xff\xfe\n");
  write_text(dir / "bad/y.txt", "ok\n");
  CHECK_THAT(error_of([&] { read_text_documents(dir / "bad"); }), Contains("x.txt: not valid UTF-8 at line 2"));
}

TEST_CASE("text split: one document is cut at a character, several at the document boundary nearest val_fraction") {
  // One document: the last 25% of 8 characters (code points, not bytes).
  const auto one = split_documents({{"a", "ééééabcd"}}, 0.25);
  CHECK(one.train == std::vector<std::string>{"ééééab"});
  CHECK(one.val == std::vector<std::string>{"cd"});
  CHECK(one.train_characters == 6);
  CHECK(one.val_characters == 2);
  // Documents of 50, 30, 15 and 5 characters: 10% of 100 is nearest the boundary before the
  // last document (5), 25% before the last two (20), and 90% still leaves the first one.
  const std::vector<TextDocument> docs = {{"a", std::string(50, 'a')}, {"b", std::string(30, 'b')},
                                          {"c", std::string(15, 'c')}, {"d", std::string(5, 'd')}};
  CHECK(split_documents(docs, 0.1).val.size() == 1);
  CHECK(split_documents(docs, 0.25).val.size() == 2);
  const auto most = split_documents(docs, 0.9);
  CHECK(most.train.size() == 1);
  CHECK(most.val_characters == 50);
}

TEST_CASE("text family: a folder joined by [SEP], whole documents as validation, targets carry their characters") {
  TempDir dir;
  const std::string a = attnlab::testing::small_corpus(60), b = attnlab::testing::small_corpus(40),
                    c = "unto him the light was\n";
  write_text(dir / "docs/1.txt", a);
  write_text(dir / "docs/2.txt", b);
  write_text(dir / "docs/3.txt", c + c + c + c);
  const auto exp = Experiment::read(load_config(std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml",
                                                {"data.path=" + (dir / "docs"), "data.val_fraction=0.1"}));
  const BuiltData data = build_data(exp, "", false);
  const auto& tok = *data.tokenizer;
  const int64_t sep = tok.specials().sep;
  REQUIRE(sep >= 0);
  const auto& text = dynamic_cast<const TextDataset&>(*data.source);
  // train = 1.txt [SEP] 2.txt; val = 3.txt (4 x 23 characters is the boundary nearest 10%).
  CHECK(text.size("train") == static_cast<int64_t>(a.size() + 1 + b.size()));
  CHECK(text.size("val") == static_cast<int64_t>(4 * c.size()));
  const Batch all = text.examples("train", 0, text.num_examples("train"));
  const auto input = all.at("input").flatten();
  CHECK(input.eq(sep).sum().item<int64_t>() == 1);
  CHECK(input[static_cast<int64_t>(a.size())].item<int64_t>() == sep);  // right after the first document
  // Every target stands for one character, the separator for none.
  const auto chars = all.at("target_characters");
  CHECK(chars.eq(0).sum().item<int64_t>() == all.at("target").eq(sep).sum().item<int64_t>());
  CHECK(chars.sum().item<int64_t>() == chars.numel() - all.at("target").eq(sep).sum().item<int64_t>());
  // The report's characters a token leave the [SEP]s out: a char tokenizer gives 1.00 even on
  // documents so short that counting the separator would give 15 / 16.
  for (const char* name : {"x/1.txt", "x/2.txt", "x/3.txt"}) write_text(dir / name, "abcd\n");
  const BuiltData tiny = build_data(Experiment::read(load_config(
                                        std::string(ATTNLAB_SOURCE_DIR) + "/configs/gpt/kjv_char_tiny.yaml",
                                        {"data.path=" + (dir / "x"), "data.val_fraction=0.4", "model.block_size=2"})),
                                    "", false);
  std::string report;
  for (const auto& line : tiny.report) report += line + "\n";
  CHECK_THAT(report, Contains("characters, 1.00 characters a token"));
}

TEST_CASE("bits per character: the summed loss in bits over the characters the targets stand for") {
  // Uniform logits over V = 8: every target costs ln 8 nats = 3 bits.
  const auto logits = torch::zeros({2, 3, 8});
  const auto input = torch::zeros({2, 3}, torch::kLong);
  auto target = torch::tensor({{1, 2, 3}, {4, 5, -1}});  // the last target ignored
  const auto characters = torch::tensor({{1, 4, 2}, {0, 3, 100}});
  const TaskOutput out = causal_lm_output(logits, input, target, /*by_position=*/true, characters);
  CHECK(out.loss.item<double>() == Approx(std::log(8.0)));
  // 5 counted targets x 3 bits over 1 + 4 + 2 + 0 + 3 = 10 characters.
  CHECK(out.metrics.sums().at("bits_per_char").value() == Approx(1.5));
  // Not in a training step (the loss alone), nor without characters.
  CHECK(causal_lm_output(logits, input, target, false, characters).metrics.sums().count("bits_per_char") == 0);
  CHECK(causal_lm_output(logits, input, target, true).metrics.sums().count("bits_per_char") == 0);
  // A cost: best.pt and sweep reports keep the lowest.
  CHECK_FALSE(higher_is_better("val_bits_per_char"));
  CHECK(higher_is_better("val_accuracy"));
  CHECK_FALSE(higher_is_better("val_loss"));
}

TEST_CASE("a subword GPT trains on a folder of text and generates text with its newlines") {
  TempDir dir;
  for (int i = 0; i < 3; ++i) write_text(dir / ("docs/" + std::to_string(i) + ".txt"), attnlab::testing::small_corpus(100 + 40 * i));
  const auto summary = attnlab::testing::train_config(
      "gpt/text_folder_example.yaml", dir,
      {"data.path=" + (dir / "docs"), "trainer.max_iters=10", "trainer.eval_interval=10"});
  // The evaluation reports bits per character beside the loss.
  const auto records = attnlab::testing::read_metrics(summary.run_dir + "/metrics.jsonl");
  bool seen = false;
  for (const auto& r : records)
    if (r.contains("val_bits_per_char")) {
      seen = true;
      CHECK(r.at("val_bits_per_char").get<double>() > 0);
    }
  CHECK(seen);
  GenerateRequest g;
  g.run_dir = summary.run_dir;
  g.prompt = "and the lord said\n\tunto ▁ him\nthe";
  g.max_new_tokens = 20;
  g.temperature = 0;
  const std::string out = generate(g);
  CHECK(out.rfind(g.prompt, 0) == 0);  // the prompt comes back exactly: newline, tab and all
  CHECK(find_invalid_utf8(out) == std::string::npos);
  // Exported, the Python example encodes and decodes as attnlab does: the same greedy text.
  ExportRequest e;
  e.run_dir = summary.run_dir, e.out = dir / "gpt.pt";
  REQUIRE(export_run(e).passed);
  const auto r = attnlab::testing::run_command(
      std::string(ATTNLAB_PYTHON) + " " + ATTNLAB_SOURCE_DIR + "/examples/python/generate.py " + (dir / "gpt.pt") +
          " --prompt \"$(printf 'and the lord said\\n\\tunto ▁ him\\nthe')\" --max-new-tokens 20 --temperature 0 --json",
      dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out.substr(0, r.out.find('\n'))).at("text").get<std::string>() == out);
  // The run remembers its data: a document added under it is refused, never evaluated as if
  // it were the text the run was trained on.
  write_text(dir / "docs/3.txt", attnlab::testing::small_corpus(50));
  EvalRequest ev;
  ev.run_dir = summary.run_dir;
  CHECK_THAT(error_of([&] { evaluate_run(ev); }),
             Contains("was trained on other data than its config's data section reads now") &&
                 Contains("data.json") && Contains("val examples: ") && Contains("Put the data back"));
  std::filesystem::remove(dir / "docs/3.txt");
  CHECK(evaluate_run(ev).json_path == summary.run_dir + "/eval_val.json");  // as it was: evaluated
}

TEST_CASE("parallel files: line-aligned source and target files, a count mismatch names both files and counts") {
  TempDir dir;
  write_text(dir / "train.en", "one\ntwo\n\nfour\nfive\n");
  write_text(dir / "train.es", "uno\ndos\n\n  \ncinco\n");
  std::string note;
  const auto pairs = read_parallel_files(dir / "train.en", dir / "train.es", &note);
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[1].source == "two");
  CHECK(pairs[1].target == "dos");
  CHECK(pairs[2].ref == "line 5");
  CHECK_THAT(note, Contains("1 pair with a blank side (line 4)") && Contains("1 blank line (line 3)"));
  write_text(dir / "short.es", "uno\ndos\n");
  CHECK_THAT(error_of([&] { read_parallel_files(dir / "train.en", dir / "short.es"); }),
             Contains(dir / "train.en") && Contains("has 5 lines") && Contains(dir / "short.es") &&
                 Contains("has 2"));
  CHECK_THAT(error_of([&] { read_parallel_files(dir / "train.en", dir / "none.es"); }),
             Contains("target file " + (dir / "none.es") + " not found (check data.target_path)"));
  // The family: both keys or neither.
  const std::string config = std::string(ATTNLAB_SOURCE_DIR) + "/configs/translator/parallel_files_example.yaml";
  CHECK_THAT(error_of([&] { Experiment::read(load_config(config, {"data.target_path="})); }),
             Contains("data.source_path") && Contains("needs data.target_path too"));
}

TEST_CASE("data check: prints what each worked example reads, and writes nothing") {
  const std::string root = ATTNLAB_SOURCE_DIR;
  TempDir dir;
  const std::string out_dir = "experiment.out_dir=" + (dir / "runs");
  const auto with_root = [&](const std::string& key, const std::string& path) { return key + "=" + root + "/" + path; };
  const std::string text = check_data({root + "/configs/gpt/text_folder_example.yaml",
                                       {with_root("data.path", "examples/data/text"), out_dir}});
  CHECK_THAT(text, Contains("data.type text"));
  CHECK_THAT(text, Contains("documents: 3 (2 train / 1 val, whole documents"));
  CHECK_THAT(text, Contains("joined by [SEP] (id 3)"));
  CHECK_THAT(text, Contains("left out 1 file not named .txt"));  // the folder's README.md
  CHECK_THAT(text, Contains("sentencepiece tokenizer, vocab 400"));
  CHECK_THAT(text, Contains("examples: train "));
  CHECK_THAT(text, Contains("| val: " + root + "/examples/data/text/psalms/psalm_23.txt"));
  CHECK_THAT(text, Contains("model: gpt with"));
  CHECK_THAT(text, Contains("nothing was written; `attnlab train " + root + "/configs/gpt/text_folder_example.yaml data.path="));
  const std::string pairs = check_data(
      {root + "/configs/translator/parallel_files_example.yaml",
       {with_root("data.source_path", "examples/data/parallel/train.en"),
        with_root("data.target_path", "examples/data/parallel/train.es"), out_dir}});
  CHECK_THAT(pairs, Contains("train.en + ") && Contains("train.es | sentencepiece tokenizer (joint)"));
  CHECK_THAT(pairs, Contains("/ 6 val / 6 test pairs"));
  CHECK_THAT(pairs, Contains("training pairs longer than max_len 64 left out"));
  CHECK_THAT(pairs, Contains("examples: train ") && Contains("val 6, test 6"));
  CHECK_FALSE(std::filesystem::exists(dir / "runs"));
  // What the model refuses of the data is refused here too, before any run exists.
  CHECK_THAT(error_of([&] {
               check_data({root + "/configs/vit/image_folder_example.yaml",
                           {with_root("data.dir", "examples/data/images"), "data.image_size=3x3"}});
             }),
             Contains("patch_size"));
  // SentencePiece stopping short of data.vocab_size on a small text is said, not silent.
  auto short_vocab = attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " data check " + root +
                                                       "/configs/gpt/text_folder_example.yaml " +
                                                       with_root("data.path", "examples/data/text") +
                                                       " data.vocab_size=20000",
                                                   dir);
  INFO(short_vocab.out);
  CHECK(short_vocab.status == 0);
  CHECK_THAT(short_vocab.err, Contains("warning: data.vocab_size is 20000, but SentencePiece found only "));
  // A typo is the config error `attnlab train` gives, before anything is read.
  CHECK_THAT(error_of([&] { check_data({root + "/configs/gpt/text_folder_example.yaml", {"data.vocab_sise=300"}}); }),
             Contains("vocab_sise") && Contains("vocab_size"));
}
