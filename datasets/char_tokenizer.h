// Character-level tokenizer: one token per Unicode code point seen in the training text,
// ids in code-point order (as nanoGPT's shakespeare_char). Saved with the run as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab {

class CharTokenizer {
 public:
  static CharTokenizer from_text(const std::string& utf8_text);
  static CharTokenizer load(const std::string& path);  // tokenizer.json
  void save(const std::string& path) const;

  // Throws for a character outside the vocabulary, naming it.
  std::vector<int64_t> encode(const std::string& utf8_text) const;
  std::string decode(const std::vector<int64_t>& ids) const;
  int64_t vocab_size() const { return static_cast<int64_t>(chars_.size()); }

 private:
  std::vector<std::string> chars_;  // id -> UTF-8 bytes of one code point
  std::map<std::string, int64_t> ids_;
};

// Splits UTF-8 text into code points (each as its bytes); invalid bytes are an error.
std::vector<std::string> utf8_chars(const std::string& text);

}  // namespace attnlab
