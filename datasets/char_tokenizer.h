// Character-level tokenizer: one token per Unicode code point seen in the training text,
// ids in code-point order (as nanoGPT's shakespeare_char). Saved with the run as JSON.
#pragma once

#include <cstdint>
#include <unordered_map>
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
  void index();
  std::vector<std::string> chars_;  // id -> UTF-8 bytes of one code point
  std::unordered_map<uint32_t, int64_t> ids_;  // code point -> id
};

// Calls f(code_point, offset, length) for each UTF-8 character; invalid bytes are an error.
// Works on the text in place: a 4.6 MB corpus costs no per-character allocation.
template <class F>
void for_each_utf8(const std::string& text, F&& f);

// Splits UTF-8 text into code points (each as its bytes).
std::vector<std::string> utf8_chars(const std::string& text);

uint32_t decode_utf8(const char* bytes, size_t length);
size_t utf8_length(unsigned char lead);  // 0 for an invalid lead byte

template <class F>
void for_each_utf8(const std::string& text, F&& f) {
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_length(static_cast<unsigned char>(text[i]));
    if (len == 0 || i + len > text.size())
      throw std::runtime_error("text is not valid UTF-8 (byte offset " + std::to_string(i) + ")");
    f(decode_utf8(text.data() + i, len), i, len);
    i += len;
  }
}

}  // namespace attnlab
