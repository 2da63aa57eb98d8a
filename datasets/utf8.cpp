#include "datasets/utf8.h"

namespace attnlab {

uint32_t decode_utf8(const char* bytes, size_t length) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes);
  switch (length) {
    case 1: return s[0];
    case 2: return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    case 3: return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    default: return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
  }
}

int64_t count_code_points(const std::string& text) {
  int64_t n = 0;
  for (char c : text) n += !is_utf8_continuation(static_cast<unsigned char>(c));
  return n;
}

size_t utf8_length(unsigned char c) {
  return c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
}

size_t utf8_sequence_at(const std::string& text, size_t i) {
  const size_t len = utf8_length(static_cast<unsigned char>(text[i]));
  if (len == 0 || i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0u) != 0x80u) return 0;
  // Well-formed only (Unicode 3.9, table 3-7): no overlong form, no surrogate, nothing above
  // U+10FFFF; JSON writers and SentencePiece refuse those.
  const uint32_t c = decode_utf8(text.data() + i, len);
  if ((len == 2 && c < 0x80) || (len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
      (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
    return 0;
  return len;
}

size_t find_invalid_utf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_sequence_at(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string::npos;
}

std::vector<std::string> utf8_chars(const std::string& text) {
  std::vector<std::string> out;
  for_each_utf8(text, [&](uint32_t, size_t offset, size_t len) { out.push_back(text.substr(offset, len)); });
  return out;
}

}  // namespace attnlab
