// UTF-8 decoding helpers for the tokenizers and data files (LibTorch-free).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab {

uint32_t decode_utf8(const char* bytes, size_t length);
size_t utf8_length(unsigned char lead);  // 0 for an invalid lead byte
// The length of the well-formed UTF-8 sequence at byte `i` of `text` (lead and continuation
// bytes checked; overlong forms, surrogates and code points above U+10FFFF refused), or 0.
size_t utf8_sequence_at(const std::string& text, size_t i);

// The byte offset of the first invalid UTF-8 sequence, or std::string::npos if none.
size_t find_invalid_utf8(const std::string& text);

// Calls f(code_point, offset, length) for each UTF-8 character; invalid bytes are an error.
// Works on the text in place: a 4.6 MB corpus costs no per-character allocation.
template <class F>
void for_each_utf8(const std::string& text, F&& f) {
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_sequence_at(text, i);
    if (len == 0) throw std::runtime_error("text is not valid UTF-8 (byte offset " + std::to_string(i) + ")");
    f(decode_utf8(text.data() + i, len), i, len);
    i += len;
  }
}

// A byte that continues a UTF-8 sequence (10xxxxxx): every other byte starts a character.
inline bool is_utf8_continuation(unsigned char byte) { return (byte & 0xC0u) == 0x80u; }

// The code points of valid UTF-8 text (its bytes that start a character).
int64_t count_code_points(const std::string& text);

// Splits UTF-8 text into code points (each as its bytes).
std::vector<std::string> utf8_chars(const std::string& text);

}  // namespace attnlab
