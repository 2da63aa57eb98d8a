// Decoding a translator's output: greedy search and beam search, batched over sentences, one
// token at a time with the decoder's key/value caches. Outputs stop at [SEP] or at the length
// limit max_output_ratio * source length + max_output_extra (and the model's positions).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "models/seq2seq.h"

namespace attnlab {

struct SearchOptions {
  int64_t beam = 1;               // 1: greedy
  double length_penalty = 1.0;    // beam: hypotheses ranked by log-probability / length^length_penalty
  double max_output_ratio = 1.5;  // longest output (with [SEP]) per source token...
  int64_t max_output_extra = 10;  // ...plus this many tokens
  int64_t bos_id = 2, eos_id = 3;
  bool kv_cache = true;  // false: decode the whole output prefix at every step (same result, slower)
};

// The output tokens of each source row (without [CLS] and [SEP]). source: [B, S] with [PAD].
std::vector<std::vector<int64_t>> greedy_search(Seq2seqImpl& model, const torch::Tensor& source,
                                                const SearchOptions& options);
std::vector<std::vector<int64_t>> beam_search(Seq2seqImpl& model, const torch::Tensor& source,
                                              const SearchOptions& options);
// greedy_search for beam 1, beam_search otherwise.
std::vector<std::vector<int64_t>> translate_batch(Seq2seqImpl& model, const torch::Tensor& source,
                                                  const SearchOptions& options);

}  // namespace attnlab
