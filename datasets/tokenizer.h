// The one tokenizer interface every data family uses, and its registry: `data.tokenizer`
// names a kind (`char`, `sentencepiece`) that is trained on a training split and saved into
// the run directory (tokenizer.json, plus the kind's own files), so a run needs no other file.
// LibTorch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/section.h"

namespace attnlab {

// Ids of the special tokens; -1 where a tokenizer has none (the char tokenizer of a GPT).
struct SpecialTokens {
  int64_t pad = -1, unk = -1, cls = -1, sep = -1, mask = -1;
  bool complete() const { return pad >= 0 && unk >= 0 && cls >= 0 && sep >= 0 && mask >= 0; }
};

// The pieces every tokenizer with special tokens reserves, at ids 0..4 in this order.
const std::vector<std::string>& special_pieces();  // [PAD] [UNK] [CLS] [SEP] [MASK]

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string type() const = 0;
  virtual std::vector<int64_t> encode(const std::string& utf8_text) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual std::string piece(int64_t id) const = 0;  // the vocabulary entry of `id`
  // The characters (Unicode code points) of text that `id` stands for, so that a loss per
  // token converts to bits per character: the code points of its piece, 0 for a special token.
  virtual int64_t characters(int64_t id) const;
  virtual SpecialTokens specials() const = 0;
  // Writes run_dir/tokenizer.json (and any file of the kind's own); load_tokenizer reads it.
  virtual void save(const std::string& run_dir) const = 0;

  // A hash of the vocabulary (every piece, in id order): equal fingerprints, same ids.
  std::string fingerprint() const;
};

// `data:` keys that choose and size the tokenizer (one field per key; see docs/config.md).
struct TokenizerOptions {
  std::string tokenizer = "char";     // char | sentencepiece
  int64_t vocab_size = 8000;          // sentencepiece: pieces, specials included
  std::string sp_model_type = "unigram";  // sentencepiece: unigram | bpe

  // Reads `tokenizer`, `vocab_size`, `sp_model_type` from a data section (the last two are
  // read, and recorded in the resolved config, whatever the kind; only sentencepiece uses them).
  static TokenizerOptions read(ConfigSection& s, const std::string& default_tokenizer = "char");
};

// What a tokenizer kind is trained from: the training split's texts (one sentence each).
struct TokenizerTraining {
  const std::vector<std::string>* texts = nullptr;
  bool with_specials = false;  // reserve [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0..4
  uint64_t seed = 1337;
  // decode(encode(x)) == x for any UTF-8 text, newlines included (text streams); the texts are
  // whole documents. Kinds that cannot promise it refuse it (the char tokenizer always can,
  // for the characters it was built from).
  bool lossless = false;
};

using TokenizerTrainer = std::function<std::unique_ptr<Tokenizer>(const TokenizerOptions&, const TokenizerTraining&)>;
using TokenizerLoader = std::function<std::unique_ptr<Tokenizer>(const std::string& run_dir)>;

void register_tokenizer(const std::string& type, TokenizerTrainer train, TokenizerLoader load);
std::vector<std::string> tokenizer_types();

std::unique_ptr<Tokenizer> train_tokenizer(const TokenizerOptions& options, const TokenizerTraining& training);
// Reads run_dir/tokenizer.json and the files it names; errors name the file and say what to do.
// `expected_fingerprint`: the one the run's model trained with ("" = not checked); a tokenizer
// with another is refused, naming the file, so that no model reads ids it was not trained on.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& run_dir, const std::string& expected_fingerprint = "");

// run_dir/tokenizer.json parsed; a missing or malformed file is an error naming it.
nlohmann::json read_tokenizer_json(const std::string& run_dir);

}  // namespace attnlab
