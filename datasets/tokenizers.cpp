// The built-in tokenizer kinds: one registration each.
#include "datasets/char_tokenizer.h"
#include "datasets/sentencepiece_tokenizer.h"
#include "datasets/tokenizer.h"

namespace attnlab {

void register_builtin_tokenizers() {
  register_tokenizer(
      "char",
      [](const TokenizerOptions&, const TokenizerTraining& t) {
        std::string all;
        for (const auto& s : *t.texts) all += s;
        return std::make_unique<CharTokenizer>(CharTokenizer::from_text(all, t.with_specials));
      },
      [](const std::string& run_dir) { return std::make_unique<CharTokenizer>(CharTokenizer::load(run_dir)); });
  register_tokenizer(
      "sentencepiece",
      [](const TokenizerOptions& o, const TokenizerTraining& t) {
        return SentencePieceTokenizer::train(*t.texts, o.vocab_size, o.sp_model_type, t.seed, t.lossless);
      },
      [](const std::string& run_dir) { return SentencePieceTokenizer::load(run_dir); });
}

}  // namespace attnlab
