#include "datasets/char_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace attnlab {

namespace {
uint32_t code_point(const std::string& ch) {
  const auto* s = reinterpret_cast<const unsigned char*>(ch.data());
  switch (ch.size()) {
    case 1: return s[0];
    case 2: return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    case 3: return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    default: return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
  }
}
}  // namespace

std::vector<std::string> utf8_chars(const std::string& text) {
  std::vector<std::string> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size())
      throw std::runtime_error("text is not valid UTF-8 (byte offset " + std::to_string(i) + ")");
    out.push_back(text.substr(i, len));
    i += len;
  }
  return out;
}

CharTokenizer CharTokenizer::from_text(const std::string& utf8_text) {
  std::set<std::string> seen;
  for (auto& ch : utf8_chars(utf8_text)) seen.insert(std::move(ch));
  std::vector<std::string> chars(seen.begin(), seen.end());
  std::sort(chars.begin(), chars.end(),
            [](const std::string& a, const std::string& b) { return code_point(a) < code_point(b); });
  CharTokenizer t;
  t.chars_ = std::move(chars);
  for (size_t i = 0; i < t.chars_.size(); ++i) t.ids_[t.chars_[i]] = static_cast<int64_t>(i);
  return t;
}

CharTokenizer CharTokenizer::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("tokenizer file " + path + " not found");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw std::runtime_error("tokenizer file " + path + " is not valid JSON: " + e.what());
  }
  if (j.value("type", "") != "char") throw std::runtime_error(path + ": not a char tokenizer");
  CharTokenizer t;
  t.chars_ = j.at("chars").get<std::vector<std::string>>();
  for (size_t i = 0; i < t.chars_.size(); ++i) t.ids_[t.chars_[i]] = static_cast<int64_t>(i);
  return t;
}

void CharTokenizer::save(const std::string& path) const {
  nlohmann::json j = {{"type", "char"}, {"chars", chars_}};
  std::ofstream out(path);
  out << j.dump(1) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<int64_t> CharTokenizer::encode(const std::string& utf8_text) const {
  std::vector<int64_t> ids;
  for (const auto& ch : utf8_chars(utf8_text)) {
    auto it = ids_.find(ch);
    if (it == ids_.end()) throw std::runtime_error("character '" + ch + "' is not in the tokenizer's vocabulary");
    ids.push_back(it->second);
  }
  return ids;
}

std::string CharTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) throw std::runtime_error("token id " + std::to_string(id) + " out of range");
    out += chars_[static_cast<size_t>(id)];
  }
  return out;
}

}  // namespace attnlab
