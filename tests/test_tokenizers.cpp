// Tokenizers behind one interface: char (with and without special tokens) and SentencePiece.
#include <catch2/catch.hpp>

#include <set>

#include "datasets/char_tokenizer.h"
#include "datasets/sentencepiece_tokenizer.h"
#include "datasets/tokenizer.h"
#include "datasets/utf8.h"
#include "test_util.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

// Spanish and English verse-like lines: accents, ñ, ¿¡, curly quotes, em dashes, punctuation.
std::vector<std::string> accented_lines() {
  std::vector<std::string> lines;
  const char* base[] = {"Y dijo Dios: Sea la luz; y fué la luz.", "¿Quién es éste? ¡Él es el Señor!",
                        "And God said, Let there be light: and there was light.",
                        "El niño comió — “pan” y miel — en Sión.", "Æneas’ house, O Lord; selah."};
  for (int i = 0; i < 40; ++i)
    for (const char* b : base) lines.push_back(std::string(b) + " " + std::to_string(i % 7));
  return lines;
}

}  // namespace

TEST_CASE("sentencepiece: exact round trip of accents and punctuation, specials at 0..4, saved and reloaded") {
  const auto lines = accented_lines();
  TokenizerOptions o;
  o.tokenizer = "sentencepiece", o.vocab_size = 120;
  auto tok = train_tokenizer(o, {&lines, true, 1337});
  CHECK(tok->type() == "sentencepiece");
  CHECK(tok->vocab_size() <= 120);
  for (int64_t i = 0; i < 5; ++i) CHECK(tok->piece(i) == special_pieces()[static_cast<size_t>(i)]);
  const SpecialTokens sp = tok->specials();
  CHECK((sp.pad == 0 && sp.unk == 1 && sp.cls == 2 && sp.sep == 3 && sp.mask == 4));

  const std::string text = "¿Quién dijo: “Sea la luz”? ¡Él — el Señor! Æneas’ niño, Sión 5.";
  auto ids = tok->encode(text);
  CHECK(ids.size() < text.size());  // subwords, not bytes
  for (auto id : ids) CHECK(id > 4);  // no [UNK], no special token
  CHECK(tok->decode(ids) == text);

  TempDir dir;
  tok->save(dir.path());
  auto loaded = load_tokenizer(dir.path());
  CHECK(loaded->type() == "sentencepiece");
  CHECK(loaded->encode(text) == ids);
  CHECK(loaded->fingerprint() == tok->fingerprint());
  // A character the training text never had becomes [UNK].
  auto unk = tok->encode("x你");
  CHECK(std::find(unk.begin(), unk.end(), sp.unk) != unk.end());
}

TEST_CASE("sentencepiece training is seeded and deterministic, and the vocabulary size is honoured") {
  const auto lines = accented_lines();
  TokenizerOptions o;
  o.tokenizer = "sentencepiece", o.vocab_size = 100;
  auto a = train_tokenizer(o, {&lines, true, 7}), b = train_tokenizer(o, {&lines, true, 7});
  CHECK(a->fingerprint() == b->fingerprint());
  o.vocab_size = 80;
  auto c = train_tokenizer(o, {&lines, true, 7});
  CHECK(c->vocab_size() <= 80);
  CHECK(c->fingerprint() != a->fingerprint());
  o.sp_model_type = "bpe";
  auto bpe = train_tokenizer(o, {&lines, true, 7});
  CHECK(bpe->decode(bpe->encode(lines[3])) == lines[3]);
  // A vocabulary too small for the text's characters is refused by attnlab, naming the key
  // and the smallest size that works (SentencePiece's own message names a flag).
  std::set<std::string> chars;
  for (const auto& l : lines) for (const auto& c : utf8_chars(l)) chars.insert(c);
  const auto needed = static_cast<int64_t>(chars.size()) + 6;
  o.vocab_size = needed - 1;
  CHECK_THROWS_WITH(train_tokenizer(o, {&lines, true, 7}),
                    Contains("data.vocab_size (" + std::to_string(needed - 1) + ") cannot hold the " +
                             std::to_string(chars.size()) + " distinct characters") &&
                        Contains("raise it to at least " + std::to_string(needed)));
  o.vocab_size = needed;
  CHECK_NOTHROW(train_tokenizer(o, {&lines, true, 7}));
  const std::vector<std::string> blank = {" ", ""};
  CHECK_THROWS_WITH(train_tokenizer(o, {&blank, true, 7}), Contains("no text to train the sentencepiece tokenizer on"));
}

TEST_CASE("char tokenizer with special tokens: specials first, unknown characters become [UNK]") {
  auto tok = CharTokenizer::from_text("abc", /*with_specials=*/true);
  CHECK(tok.vocab_size() == 5 + 3);
  CHECK(tok.piece(4) == "[MASK]");
  CHECK(tok.encode("cab") == std::vector<int64_t>{7, 5, 6});
  CHECK(tok.encode("az") == std::vector<int64_t>{5, tok.specials().unk});
  TempDir dir;
  tok.save(dir.path());
  auto loaded = load_tokenizer(dir.path());
  CHECK(loaded->fingerprint() == tok.fingerprint());
  CHECK(loaded->specials().mask == 4);
  // Without specials (GPT), nothing changes from the original char tokenizer.
  auto plain = CharTokenizer::from_text("abc");
  CHECK(plain.encode("cab") == std::vector<int64_t>{2, 0, 1});
  CHECK(plain.specials().pad == -1);
  CHECK(plain.fingerprint() != tok.fingerprint());
}

TEST_CASE("loading a tokenizer: a missing or unknown one is a clear error") {
  TempDir dir;
  CHECK_THROWS_WITH(load_tokenizer(dir.path()), Contains("tokenizer.json not found"));
  write_text(dir / "tokenizer.json", R"({"type": "wordpiece"})");
  CHECK_THROWS_WITH(load_tokenizer(dir.path()), Contains("unknown tokenizer type 'wordpiece'") && Contains("char"));
  write_text(dir / "tokenizer.json", R"({"type": "sentencepiece", "model": "tokenizer.model"})");
  CHECK_THROWS_WITH(load_tokenizer(dir.path()), Contains("tokenizer.model not found"));
  write_text(dir / "tokenizer.model", "not a model");
  CHECK_THROWS_WITH(load_tokenizer(dir.path()), Contains("not a sentencepiece model"));
}
