// Subword tokenizer on Debian's libsentencepiece: unigram or BPE, trained in memory on the
// training split (seeded, one thread: deterministic), [PAD] [UNK] [CLS] [SEP] [MASK] at ids
// 0..4. Saved with the run as tokenizer.json + tokenizer.model.
//
// Lossless (text streams, data.type text): decode(encode(x)) == x for any UTF-8 text. A
// piece of its own for "\n" (id 5), byte fallback for characters the vocabulary lacks (256
// byte pieces <0x00>..<0xFF>), spaces kept as they are (no dummy prefix, no folding), and
// SentencePiece's space marker U+2581 written in the text encoded as its three bytes (the
// library would read it back as a space). [CLS] [SEP] [MASK] are then control symbols, never
// matched in text (a "[SEP]" written in a document stays text), and decode writes them as
// their pieces. Without it (the verse families), characters unseen in training encode as
// [UNK] and the special tokens' spellings in text are read as the tokens.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasets/tokenizer.h"

namespace attnlab {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // vocab_size counts the special tokens (and, lossless, "\n" and the 256 bytes); model_type:
  // "unigram" or "bpe". Lossless, each text is trained on line by line.
  static std::unique_ptr<SentencePieceTokenizer> train(const std::vector<std::string>& texts, int64_t vocab_size,
                                                       const std::string& model_type, uint64_t seed,
                                                       bool lossless = false);
  static std::unique_ptr<SentencePieceTokenizer> load(const std::string& run_dir);
  SentencePieceTokenizer(const std::string& serialized_model, bool lossless);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  static constexpr int64_t kNewline = 5;  // lossless: the id of "\n"

  std::string type() const override { return "sentencepiece"; }
  std::vector<int64_t> encode(const std::string& utf8_text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override;
  std::string piece(int64_t id) const override;
  int64_t characters(int64_t id) const override;  // a byte piece: 1 if it starts a character
  SpecialTokens specials() const override { return {0, 1, 2, 3, 4}; }
  void save(const std::string& run_dir) const override;

 private:
  std::string model_;  // the serialized model proto
  void* processor_;  // owned, through sentencepiece_api()
  bool lossless_;
  std::vector<int64_t> marker_bytes_;  // lossless: the byte pieces of U+2581

  void check_model();                   // throws when the model lacks what attnlab relies on
  int byte_value(int64_t id) const;     // a byte piece's value, else -1
};

}  // namespace attnlab
