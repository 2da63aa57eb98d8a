// Character-level tokenizer: one token per Unicode code point seen in the training text,
// ids in code-point order (as nanoGPT's shakespeare_char). With special tokens (masked and
// classification data), [PAD] [UNK] [CLS] [SEP] [MASK] take ids 0..4 and the characters
// follow; unseen characters then encode as [UNK]. Saved with the run as tokenizer.json.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "datasets/tokenizer.h"
#include "datasets/utf8.h"

namespace attnlab {

class CharTokenizer : public Tokenizer {
 public:
  static CharTokenizer from_text(const std::string& utf8_text, bool with_specials = false);
  static CharTokenizer load(const std::string& run_dir);  // run_dir/tokenizer.json

  std::string type() const override { return "char"; }
  // Without special tokens, a character outside the vocabulary is an error naming it.
  std::vector<int64_t> encode(const std::string& utf8_text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  std::string piece(int64_t id) const override { return pieces_.at(static_cast<size_t>(id)); }
  SpecialTokens specials() const override;
  void save(const std::string& run_dir) const override;

 private:
  void index();
  int64_t n_specials_ = 0;
  std::vector<std::string> pieces_;            // id -> special piece, or UTF-8 bytes of one code point
  std::unordered_map<uint32_t, int64_t> ids_;  // code point -> id
};

}  // namespace attnlab
