// Subword tokenizer on Debian's libsentencepiece: unigram or BPE, trained in memory on the
// training split (seeded, one thread: deterministic), [PAD] [UNK] [CLS] [SEP] [MASK] at ids
// 0..4. Saved with the run as tokenizer.json + tokenizer.model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasets/tokenizer.h"

namespace attnlab {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // vocab_size counts the special tokens; model_type: "unigram" or "bpe".
  static std::unique_ptr<SentencePieceTokenizer> train(const std::vector<std::string>& texts, int64_t vocab_size,
                                                       const std::string& model_type, uint64_t seed);
  static std::unique_ptr<SentencePieceTokenizer> load(const std::string& run_dir);
  explicit SentencePieceTokenizer(const std::string& serialized_model);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::string type() const override { return "sentencepiece"; }
  std::vector<int64_t> encode(const std::string& utf8_text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override;
  std::string piece(int64_t id) const override;
  SpecialTokens specials() const override { return {0, 1, 2, 3, 4}; }
  void save(const std::string& run_dir) const override;

 private:
  std::string model_;  // the serialized model proto
  void* processor_;  // owned, through sentencepiece_api()
};

}  // namespace attnlab
