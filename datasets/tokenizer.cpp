#include "datasets/tokenizer.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/registry.h"
#include "core/util/json_file.h"
#include "datasets/utf8.h"

namespace attnlab {

void register_builtin_tokenizers();  // datasets/tokenizers.cpp

namespace {
struct Kind {
  TokenizerTrainer train;
  TokenizerLoader load;
};
Registry<Kind>& kinds() {
  static Registry<Kind> r("tokenizer type", register_builtin_tokenizers);
  return r;
}
}  // namespace

const std::vector<std::string>& special_pieces() {
  static const std::vector<std::string> pieces = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  return pieces;
}

std::string Tokenizer::fingerprint() const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the pieces, each followed by a 0 byte
  for (int64_t id = 0; id < vocab_size(); ++id) {
    for (unsigned char c : piece(id) + std::string(1, '\0')) h = (h ^ c) * 1099511628211ull;
  }
  return fmt::format("{}:{}:{:016x}", type(), vocab_size(), h);
}

int64_t Tokenizer::characters(int64_t id) const {
  const SpecialTokens s = specials();
  if (id == s.pad || id == s.unk || id == s.cls || id == s.sep || id == s.mask) return 0;
  return count_code_points(piece(id));
}

TokenizerOptions TokenizerOptions::read(ConfigSection& s, const std::string& default_tokenizer) {
  TokenizerOptions o;
  o.tokenizer = s.choice("tokenizer", default_tokenizer, tokenizer_types());
  // Read whatever the kind, so that switching `tokenizer` alone never makes a config invalid.
  ATTNLAB_READ(s, o, vocab_size, Range::closed(16, 1 << 24));
  o.sp_model_type = s.choice("sp_model_type", o.sp_model_type, {"unigram", "bpe"});
  return o;
}

void register_tokenizer(const std::string& type, TokenizerTrainer train, TokenizerLoader load) {
  kinds().add(type, {std::move(train), std::move(load)});
}

std::vector<std::string> tokenizer_types() { return kinds().names(); }

std::unique_ptr<Tokenizer> train_tokenizer(const TokenizerOptions& options, const TokenizerTraining& training) {
  if (!training.texts || training.texts->empty()) throw std::runtime_error("no text to train the tokenizer on");
  return kinds().get(options.tokenizer).train(options, training);
}

nlohmann::json read_tokenizer_json(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "tokenizer.json").string();
  if (!std::filesystem::exists(path))
    throw std::runtime_error("tokenizer file " + path + " not found (is " + run_dir + " a run directory?)");
  nlohmann::json j;
  read_json_file(path, [&](const nlohmann::json& read) { j = read; });
  if (!j.is_object() || !j.contains("type"))
    throw std::runtime_error(path + " is damaged: expected a JSON object with the tokenizer's \"type\"");
  return j;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& run_dir, const std::string& expected_fingerprint) {
  const nlohmann::json j = read_tokenizer_json(run_dir);
  const std::string path = (std::filesystem::path(run_dir) / "tokenizer.json").string();
  std::unique_ptr<Tokenizer> tok;
  try {
    tok = kinds().get(j.value("type", "")).load(run_dir);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  if (!expected_fingerprint.empty() && tok->fingerprint() != expected_fingerprint)
    throw std::runtime_error(fmt::format("{}: the tokenizer in {} is not the one the model trained with (fingerprint {} "
                                         "against {}, saved with the run): put the run's own tokenizer files back",
                                         run_dir, path, tok->fingerprint(), expected_fingerprint));
  return tok;
}

}  // namespace attnlab
