// Masked-LM data (`data.type: masked_text`): verses of the shared verse split, with BERT's
// dynamic masking every time a batch is drawn: mask_prob of the non-special tokens are
// selected; of those, mask_token_prob become [MASK], random_token_prob a random token, and
// the rest stay unchanged. Targets are -1 except at selected positions.
#pragma once

#include <random>

#include "datasets/verse_batches.h"

namespace attnlab {

struct MaskingOptions {
  double mask_prob = 0.15;
  double mask_token_prob = 0.8;
  double random_token_prob = 0.1;
};

// Masks `input` ([B, T] int64) in place and returns the targets ([B, T], -1 where not
// selected). Special tokens are never selected or drawn as random replacements. At least
// one token of the batch is selected, so the loss is always defined.
torch::Tensor mask_tokens(torch::Tensor& input, const MaskingOptions& options, const SpecialTokens& specials,
                          int64_t vocab_size, std::mt19937_64& rng);

class MaskedTextDataset : public VerseBatchSource {
 public:
  // `seed` fixes the masking of evaluation batches (each verse always masked the same way).
  MaskedTextDataset(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                    const Tokenizer& tokenizer, int64_t max_len, MaskingOptions masking, uint64_t seed);

 protected:
  // {"input": masked [B, T], "target": [B, T] original ids at selected positions, else -1}
  Batch make(const std::vector<int64_t>& verses, std::mt19937_64* rng) const override;

 private:
  MaskingOptions masking_;
  SpecialTokens specials_;
  int64_t vocab_size_;
  uint64_t seed_;
};

}  // namespace attnlab
