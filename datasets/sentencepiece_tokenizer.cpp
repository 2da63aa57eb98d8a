#include "datasets/sentencepiece_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "core/util/files.h"
#include "datasets/sentencepiece_api.h"
#include "datasets/text_lines.h"
#include "datasets/utf8.h"

namespace attnlab {


namespace {

constexpr const char* kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space
constexpr size_t kMaxTrainingLine = 4000;  // bytes; SentencePiece skips longer sentences (4192)

// Lossless training sentences: the texts' lines, a line longer than the trainer takes cut at
// character boundaries (encoding never cuts: this only shapes what the vocabulary is learnt from).
std::vector<std::string> training_lines(const std::vector<std::string>& texts) {
  std::vector<std::string> lines;
  for (const auto& text : texts)
    for (const auto& line : split_lines(text)) {
      size_t begin = 0;
      while (begin < line.size()) {
        size_t end = std::min(line.size(), begin + kMaxTrainingLine);
        while (end < line.size() && is_utf8_continuation(static_cast<unsigned char>(line[end]))) --end;
        if (!is_blank(line.substr(begin, end - begin))) lines.push_back(line.substr(begin, end - begin));
        begin = end;
      }
    }
  return lines;
}

}  // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::train(const std::vector<std::string>& texts,
                                                                      int64_t vocab_size,
                                                                      const std::string& model_type, uint64_t seed,
                                                                      bool lossless) {
  const std::vector<std::string> lines = lossless ? training_lines(texts) : texts;
  // SentencePiece's own message for this is an internal check ("!sentences_.empty()").
  if (std::all_of(lines.begin(), lines.end(), is_blank))
    throw std::runtime_error("no text to train the sentencepiece tokenizer on: the training split is empty or blank");
  // Without byte fallback every character is kept (character_coverage=1.0), so the vocabulary
  // must hold them all besides the special tokens; SentencePiece's own message names a flag
  // users cannot set. Lossless, rare characters (0.05% of the text) go to byte pieces instead.
  std::unordered_set<uint32_t> chars;
  for (const auto& t : lines) for_each_utf8(t, [&](uint32_t c, size_t, size_t) { chars.insert(c); });
  const auto reserved = static_cast<int64_t>(special_pieces().size()) + (lossless ? 1 + 256 : 0);
  const auto needed = reserved + (lossless ? 1 : static_cast<int64_t>(chars.size())) + 1;
  if (vocab_size < needed)
    throw std::runtime_error(
        lossless ? fmt::format("data.vocab_size ({}) cannot hold the {} special tokens, the newline and the 256 byte "
                               "pieces: raise it to at least {}",
                               vocab_size, special_pieces().size(), needed)
                 : fmt::format("data.vocab_size ({}) cannot hold the {} distinct characters of the training text, "
                               "the {} special tokens and the word-boundary piece \u2581: raise it to at least {}",
                               vocab_size, chars.size(), special_pieces().size(), needed));
  // One thread and a fixed seed: the vocabulary depends on both (shared/notes), never on the machine.
  // Identity normalisation keeps every character as written, so decode(encode(x)) == x for
  // text made of characters the training text has; character_coverage=1.0 keeps them all.
  std::unordered_map<std::string, std::string> flags = {
      {"vocab_size", std::to_string(vocab_size)}, {"model_type", model_type}, {"num_threads", "1"},
      {"character_coverage", "1.0"}, {"normalization_rule_name", "identity"}, {"remove_extra_whitespaces", "false"},
      {"pad_id", "0"}, {"unk_id", "1"}, {"bos_id", "-1"}, {"eos_id", "-1"}, {"pad_piece", "[PAD]"},
      {"unk_piece", "[UNK]"}, {"user_defined_symbols", "[CLS],[SEP],[MASK]"}, {"hard_vocab_limit", "false"},
      {"minloglevel", "2"}};
  if (lossless) {
    // Control symbols: ids only, never matched in text, so a "[SEP]" written in a document
    // stays text. "\n" is the one symbol matched in text.
    flags["control_symbols"] = flags["user_defined_symbols"];
    flags["user_defined_symbols"] = "\n";
    flags["byte_fallback"] = "true";
    flags["character_coverage"] = "0.9995";
    flags["add_dummy_prefix"] = "false";          // a line's first word is read as written
    flags["allow_whitespace_only_pieces"] = "true";  // runs of spaces (indentation) as pieces
    flags["input_sentence_size"] = "2000000";     // a seeded sample of a larger corpus
    flags["shuffle_input_sentence"] = "true";
  }
  std::string model;
  try {
    model = sentencepiece_api().train(flags, lines, seed);
  } catch (const std::exception& e) {
    // Its advice names trainer flags attnlab sets itself; the size is the user's to change. The
    // characters it must keep (those of character_coverage, plus its own pieces) are only
    // known to it: its count is passed on as the size to set.
    const std::string what = e.what(), marker = "Vocabulary size is smaller than required_chars. ";
    const size_t at = what.find(marker);
    long long asked = 0, need = 0;  // "264 vs 293": data.vocab_size, then the pieces it must hold
    if (at != std::string::npos && std::sscanf(what.c_str() + at + marker.size(), "%lld vs %lld", &asked, &need) == 2)
      throw std::runtime_error(fmt::format("data.vocab_size ({}) cannot hold the pieces that the training text's "
                                           "characters and the special tokens{} need: raise it to at least {}",
                                           vocab_size, lossless ? ", the newline and the byte pieces" : "", need));
    throw std::runtime_error(fmt::format("{}: raise data.vocab_size (now {})", what, vocab_size));
  }
  auto tok = std::make_unique<SentencePieceTokenizer>(model, lossless);
  // hard_vocab_limit=false lets SentencePiece stop short of vocab_size on a small text, rather
  // than fail: said here, or a run's vocabulary would silently differ from its config.
  if (tok->vocab_size() < vocab_size)
    fmt::print(stderr, "warning: data.vocab_size is {}, but SentencePiece found only {} pieces in the training text; "
               "set data.vocab_size to {} (the same vocabulary) or train on more text\n", vocab_size,
               tok->vocab_size(), tok->vocab_size());
  return tok;
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& serialized_model, bool lossless)
    : model_(serialized_model), processor_(sentencepiece_api().load(model_)), lossless_(lossless) {
  try {
    check_model();
  } catch (...) {
    sentencepiece_api().destroy(processor_);
    throw;
  }
}

int SentencePieceTokenizer::byte_value(int64_t id) const {
  if (!sentencepiece_api().is_byte(processor_, static_cast<int>(id))) return -1;
  return static_cast<int>(std::stoul(piece(id).substr(3, 2), nullptr, 16));  // "<0xE2>"
}

void SentencePieceTokenizer::check_model() {
  if (vocab_size() <= static_cast<int64_t>(special_pieces().size()))
    throw std::runtime_error("sentencepiece model has no pieces besides the special tokens");
  for (size_t i = 0; i < special_pieces().size(); ++i)
    if (piece(static_cast<int64_t>(i)) != special_pieces()[i])
      throw std::runtime_error("sentencepiece model lacks attnlab's special tokens at ids 0..4");
  if (!lossless_) return;
  if (piece(kNewline) != "\n") throw std::runtime_error("a lossless sentencepiece model needs \"\\n\" at id 5");
  std::vector<int64_t> bytes(256, -1);
  for (int64_t id = 0; id < vocab_size(); ++id)
    if (const int b = byte_value(id); b >= 0) bytes[static_cast<size_t>(b)] = id;
  if (std::count(bytes.begin(), bytes.end(), -1) > 0)
    throw std::runtime_error("a lossless sentencepiece model needs 256 byte pieces");
  for (unsigned char b : std::string(kSpaceMarker)) marker_bytes_.push_back(bytes[b]);
}

SentencePieceTokenizer::~SentencePieceTokenizer() { sentencepiece_api().destroy(processor_); }

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "tokenizer.model").string();
  if (!std::filesystem::exists(path)) throw std::runtime_error("tokenizer file " + path + " not found");
  try {
    return std::make_unique<SentencePieceTokenizer>(read_file(path), read_tokenizer_json(run_dir).value("lossless", false));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& utf8_text) const {
  if (!lossless_) {
    const std::vector<int> ids = sentencepiece_api().encode(processor_, utf8_text);
    return {ids.begin(), ids.end()};
  }
  // Line by line ("\n" is a piece of its own, so no piece spans two lines and the ids are those
  // of the whole text), and within a line around each written U+2581.
  std::vector<int64_t> out;
  auto encode_part = [&](const std::string& part) {
    if (part.empty()) return;
    const std::vector<int> ids = sentencepiece_api().encode(processor_, part);
    out.insert(out.end(), ids.begin(), ids.end());
  };
  const std::string marker = kSpaceMarker;
  size_t begin = 0;
  while (begin < utf8_text.size()) {
    const size_t newline = utf8_text.find('\n', begin);
    const size_t line_end = newline == std::string::npos ? utf8_text.size() : newline;
    const std::string_view line(utf8_text.data() + begin, line_end - begin);  // searched within the line only
    size_t at = 0;
    for (size_t m; (m = line.find(marker, at)) != std::string_view::npos; at = m + marker.size()) {
      encode_part(std::string(line.substr(at, m - at)));
      out.insert(out.end(), marker_bytes_.begin(), marker_bytes_.end());
    }
    encode_part(std::string(line.substr(at)));
    if (newline != std::string::npos) out.push_back(kNewline);
    begin = line_end + 1;
  }
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  // Lossless, the special tokens (control symbols, which SentencePiece decodes as nothing) are
  // written as their pieces: a document boundary shows as "[SEP]".
  const auto special = static_cast<int64_t>(special_pieces().size());
  std::string out;
  std::vector<int> run;
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) throw std::runtime_error("token id " + std::to_string(id) + " out of range");
    if (lossless_ && id < special) {
      out += sentencepiece_api().decode(processor_, run) + piece(id);
      run.clear();
    } else {
      run.push_back(static_cast<int>(id));
    }
  }
  return out + sentencepiece_api().decode(processor_, run);
}

int64_t SentencePieceTokenizer::vocab_size() const { return sentencepiece_api().size(processor_); }

std::string SentencePieceTokenizer::piece(int64_t id) const {
  return sentencepiece_api().piece(processor_, static_cast<int>(id));
}

int64_t SentencePieceTokenizer::characters(int64_t id) const {
  if (const int b = byte_value(id); b >= 0)  // a byte piece: one character if it starts one
    return is_utf8_continuation(static_cast<unsigned char>(b)) ? 0 : 1;
  return Tokenizer::characters(id);  // U+2581 stands for one space: one character either way
}

void SentencePieceTokenizer::save(const std::string& run_dir) const {
  namespace fs = std::filesystem;
  write_file_atomic((fs::path(run_dir) / "tokenizer.model").string(), model_);
  const nlohmann::json j = {{"type", "sentencepiece"},
                            {"model", "tokenizer.model"},
                            {"vocab_size", vocab_size()},
                            {"lossless", lossless_}};
  write_file_atomic((fs::path(run_dir) / "tokenizer.json").string(), j.dump(1) + "\n");
}

}  // namespace attnlab
