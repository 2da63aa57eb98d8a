#include "datasets/char_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>

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

size_t utf8_length(unsigned char c) {
  return c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
}

std::vector<std::string> utf8_chars(const std::string& text) {
  std::vector<std::string> out;
  for_each_utf8(text, [&](uint32_t, size_t offset, size_t len) { out.push_back(text.substr(offset, len)); });
  return out;
}

CharTokenizer CharTokenizer::from_text(const std::string& utf8_text) {
  std::map<uint32_t, std::string> seen;  // ordered by code point
  for_each_utf8(utf8_text, [&](uint32_t cp, size_t offset, size_t len) {
    if (seen.find(cp) == seen.end()) seen.emplace(cp, utf8_text.substr(offset, len));
  });
  CharTokenizer t;
  for (auto& kv : seen) t.chars_.push_back(kv.second);
  t.index();
  return t;
}

void CharTokenizer::index() {
  ids_.clear();
  for (size_t i = 0; i < chars_.size(); ++i)
    ids_[decode_utf8(chars_[i].data(), chars_[i].size())] = static_cast<int64_t>(i);
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
  t.index();
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
  ids.reserve(utf8_text.size());
  for_each_utf8(utf8_text, [&](uint32_t cp, size_t offset, size_t len) {
    auto it = ids_.find(cp);
    if (it == ids_.end())
      throw std::runtime_error("character '" + utf8_text.substr(offset, len) + "' is not in the tokenizer's vocabulary");
    ids.push_back(it->second);
  });
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
