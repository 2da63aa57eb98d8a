#include "datasets/text_lines.h"

#include <fmt/format.h>

#include <cctype>
#include <sstream>
#include <stdexcept>

#include "datasets/utf8.h"

namespace attnlab {

std::string describe_lines(const std::vector<int64_t>& numbers) {
  constexpr size_t kShown = 5;
  if (numbers.empty()) return "no lines";
  if (numbers.size() == 1) return fmt::format("line {}", numbers[0]);
  std::string out = "lines ";
  const size_t shown = std::min(numbers.size(), kShown);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += i + 1 == shown && numbers.size() <= kShown ? " and " : ", ";
    out += std::to_string(numbers[i]);
  }
  if (numbers.size() > kShown) out += fmt::format(" and {} more", numbers.size() - kShown);
  return out;
}

std::string checked_text(std::string text, const std::string& origin) {
  // A byte-order mark is no text; "\r\n" and a lone "\r" (old Mac files) end a line.
  const size_t bom = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  size_t out = 0;
  for (size_t i = bom; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    text[out++] = text[i] == '\r' ? '\n' : text[i];
  }
  text.resize(out);
  // NUL bytes are valid UTF-8 but no text: most often a UTF-16 file without its byte-order mark.
  const bool nul = text.find('\0') != std::string::npos;
  if (!nul && find_invalid_utf8(text) == std::string::npos) return text;
  std::vector<int64_t> bad;  // 1-based numbers of the offending lines
  const std::vector<std::string> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); ++i)
    if (nul ? lines[i].find('\0') != std::string::npos : find_invalid_utf8(lines[i]) != std::string::npos)
      bad.push_back(static_cast<int64_t>(i) + 1);
  if (nul)
    throw std::runtime_error(fmt::format("{}: NUL bytes at {}: not UTF-8 text (a UTF-16 file? convert it with "
                                         "`iconv -f utf-16 -t utf-8`)",
                                         origin, describe_lines(bad)));
  throw std::runtime_error(fmt::format("{}: not valid UTF-8 at {} ({} line{}); convert it first, e.g. "
                                       "`iconv -f latin1 -t utf-8`",
                                       origin, describe_lines(bad), bad.size(), bad.size() == 1 ? "" : "s"));
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_blank(const std::string& line) {
  if (line.find_first_not_of(" \t\n\v\f\r") == std::string::npos) return true;
  // Unicode spaces: no-break (U+00A0), U+2000..U+200A, narrow no-break, medium mathematical,
  // ideographic (U+3000).
  for (size_t i = 0; i < line.size();) {
    const size_t len = utf8_sequence_at(line, i);
    if (len == 0) return false;
    const uint32_t c = decode_utf8(line.data() + i, len);
    const bool space = c <= 0x20 ? std::isspace(static_cast<int>(c)) != 0
                                 : c == 0xA0 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
                                       c == 0x3000;
    if (!space) return false;
    i += len;
  }
  return true;
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, separator);) {
    const auto first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    items.push_back(first == std::string::npos ? "" : item.substr(first, last - first + 1));
  }
  return items;
}

std::vector<std::string> split_sentences(const std::string& text, size_t max_chars) {
  // Sentences, and within a sentence too long for a line, words.
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool end = (text[i] == '.' || text[i] == '!' || text[i] == '?') && i + 1 < text.size() && text[i + 1] == ' ';
    if (!end && i + 1 != text.size()) continue;
    const std::string sentence = text.substr(start, i + 1 - start);
    start = i + 2;
    if (sentence.size() <= max_chars) {
      pieces.push_back(sentence);
      continue;
    }
    std::istringstream words(sentence);
    std::string word;
    while (words >> word) pieces.push_back(word);
  }
  std::vector<std::string> lines;
  std::string line;
  for (const auto& p : pieces) {
    if (p.empty()) continue;
    if (!line.empty() && line.size() + 1 + p.size() > max_chars) lines.push_back(std::move(line)), line.clear();
    line += (line.empty() ? "" : " ") + p;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace attnlab
