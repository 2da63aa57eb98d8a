#include "datasets/char_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace attnlab {

CharTokenizer CharTokenizer::from_text(const std::string& utf8_text, bool with_specials) {
  std::map<uint32_t, std::string> seen;  // ordered by code point
  for_each_utf8(utf8_text, [&](uint32_t cp, size_t offset, size_t len) {
    if (seen.find(cp) == seen.end()) seen.emplace(cp, utf8_text.substr(offset, len));
  });
  CharTokenizer t;
  if (with_specials) t.pieces_ = special_pieces();
  t.n_specials_ = static_cast<int64_t>(t.pieces_.size());
  for (auto& kv : seen) t.pieces_.push_back(kv.second);
  t.index();
  return t;
}

void CharTokenizer::index() {
  ids_.clear();
  for (size_t i = static_cast<size_t>(n_specials_); i < pieces_.size(); ++i)
    ids_[decode_utf8(pieces_[i].data(), pieces_[i].size())] = static_cast<int64_t>(i);
}

SpecialTokens CharTokenizer::specials() const {
  if (n_specials_ == 0) return {};
  return {0, 1, 2, 3, 4};  // the order of special_pieces()
}

CharTokenizer CharTokenizer::load(const std::string& run_dir) {
  const nlohmann::json j = read_tokenizer_json(run_dir);
  const std::string path = (std::filesystem::path(run_dir) / "tokenizer.json").string();
  if (j.value("type", "") != "char") throw std::runtime_error(path + ": not a char tokenizer");
  CharTokenizer t;
  t.pieces_ = j.value("specials", std::vector<std::string>{});
  t.n_specials_ = static_cast<int64_t>(t.pieces_.size());
  if (t.n_specials_ != 0 && t.pieces_ != special_pieces())
    throw std::runtime_error(path + ": unexpected special tokens");
  for (const auto& c : j.at("chars").get<std::vector<std::string>>()) t.pieces_.push_back(c);
  t.index();
  return t;
}

void CharTokenizer::save(const std::string& run_dir) const {
  const std::string path = (std::filesystem::path(run_dir) / "tokenizer.json").string();
  std::vector<std::string> chars(pieces_.begin() + n_specials_, pieces_.end());
  nlohmann::json j = {{"type", "char"}, {"chars", chars}};
  if (n_specials_ > 0) j["specials"] = special_pieces();
  std::ofstream out(path);
  out << j.dump(1) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<int64_t> CharTokenizer::encode(const std::string& utf8_text) const {
  std::vector<int64_t> ids;
  ids.reserve(utf8_text.size());
  for_each_utf8(utf8_text, [&](uint32_t cp, size_t offset, size_t len) {
    auto it = ids_.find(cp);
    if (it != ids_.end()) {
      ids.push_back(it->second);
    } else if (n_specials_ > 0) {
      ids.push_back(specials().unk);
    } else {
      throw std::runtime_error("character '" + utf8_text.substr(offset, len) +
                               "' is not in the tokenizer's vocabulary");
    }
  });
  return ids;
}

std::string CharTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) throw std::runtime_error("token id " + std::to_string(id) + " out of range");
    out += pieces_[static_cast<size_t>(id)];
  }
  return out;
}

}  // namespace attnlab
