#include "datasets/sentencepiece_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_set>

#include "core/util/files.h"
#include "datasets/sentencepiece_api.h"
#include "datasets/text_lines.h"
#include "datasets/utf8.h"

namespace attnlab {


std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::train(const std::vector<std::string>& texts,
                                                                      int64_t vocab_size,
                                                                      const std::string& model_type, uint64_t seed) {
  // SentencePiece's own message for this is an internal check ("!sentences_.empty()").
  if (std::all_of(texts.begin(), texts.end(), is_blank))
    throw std::runtime_error("no text to train the sentencepiece tokenizer on: the training split is empty or blank");
  // Every character is kept (character_coverage=1.0), so the vocabulary must hold them all
  // besides the 5 special tokens; SentencePiece's own message names a flag users cannot set.
  std::unordered_set<uint32_t> chars;
  for (const auto& t : texts) for_each_utf8(t, [&](uint32_t c, size_t, size_t) { chars.insert(c); });
  const auto needed = static_cast<int64_t>(chars.size() + special_pieces().size()) + 1;
  if (vocab_size < needed)
    throw std::runtime_error(fmt::format("data.vocab_size ({}) cannot hold the {} distinct characters of the training "
                                         "text and the {} special tokens: raise it to at least {}",
                                         vocab_size, chars.size(), special_pieces().size(), needed));
  // One thread and a fixed seed: the vocabulary depends on both (shared/notes), never on the machine.
  // Identity normalisation keeps every character as written, so decode(encode(x)) == x for
  // text made of characters the training text has; character_coverage=1.0 keeps them all.
  const std::string args = fmt::format(
      "--vocab_size={} --model_type={} --num_threads=1 --character_coverage=1.0 "
      "--normalization_rule_name=identity --remove_extra_whitespaces=false "
      "--pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 --pad_piece=[PAD] --unk_piece=[UNK] "
      "--user_defined_symbols=[CLS],[SEP],[MASK] --hard_vocab_limit=false --minloglevel=2",
      vocab_size, model_type);
  return std::make_unique<SentencePieceTokenizer>(sentencepiece_api().train(args, texts, seed));
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& serialized_model)
    : model_(serialized_model), processor_(sentencepiece_api().load(model_)) {
  for (size_t i = 0; i < special_pieces().size(); ++i)
    if (piece(static_cast<int64_t>(i)) != special_pieces()[i]) {
      sentencepiece_api().destroy(processor_);
      throw std::runtime_error("sentencepiece model lacks attnlab's special tokens at ids 0..4");
    }
}

SentencePieceTokenizer::~SentencePieceTokenizer() { sentencepiece_api().destroy(processor_); }

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "tokenizer.model").string();
  if (!std::filesystem::exists(path)) throw std::runtime_error("tokenizer file " + path + " not found");
  try {
    return std::make_unique<SentencePieceTokenizer>(read_file(path));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& utf8_text) const {
  const std::vector<int> ids = sentencepiece_api().encode(processor_, utf8_text);
  return {ids.begin(), ids.end()};
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> small;
  small.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) throw std::runtime_error("token id " + std::to_string(id) + " out of range");
    small.push_back(static_cast<int>(id));
  }
  return sentencepiece_api().decode(processor_, small);
}

int64_t SentencePieceTokenizer::vocab_size() const { return sentencepiece_api().size(processor_); }

std::string SentencePieceTokenizer::piece(int64_t id) const {
  return sentencepiece_api().piece(processor_, static_cast<int>(id));
}

void SentencePieceTokenizer::save(const std::string& run_dir) const {
  namespace fs = std::filesystem;
  write_file_atomic((fs::path(run_dir) / "tokenizer.model").string(), model_);
  const nlohmann::json j = {{"type", "sentencepiece"}, {"model", "tokenizer.model"}, {"vocab_size", vocab_size()}};
  write_file_atomic((fs::path(run_dir) / "tokenizer.json").string(), j.dump(1) + "\n");
}

}  // namespace attnlab
