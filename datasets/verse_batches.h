// Verses as padded token sequences, and the batch source every verse family builds on:
// each verse is [CLS] tokens [SEP] (truncated to max_len); a batch is padded to its longest
// row with [PAD]. Subclasses say only how chosen rows become a batch (masking, labels): make().
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include "datasets/indexed_source.h"
#include "datasets/tokenizer.h"
#include "datasets/verse_corpus.h"

namespace attnlab {

class VerseBatchSource : public IndexedBatchSource {
 public:
  VerseBatchSource(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                   const Tokenizer& tokenizer, int64_t max_len);

  // Corpus indices of a split's verses, in corpus order.
  const std::vector<int64_t>& verse_indices(const std::string& split) const { return indices(split); }
  // The token ids of verse `corpus_index`, [CLS] ... [SEP].
  const std::vector<int64_t>& tokens(int64_t corpus_index) const { return tokens_[static_cast<size_t>(corpus_index)]; }
  int64_t max_len() const { return max_len_; }
  // Mean tokens per verse (before truncation) and the fraction truncated, over all verses.
  double mean_length() const { return mean_length_; }
  double truncated_fraction() const { return truncated_fraction_; }

 protected:
  // [B, L] int64: the verses' tokens, padded with [PAD] to the longest of them.
  torch::Tensor padded(const std::vector<int64_t>& verses) const;
  int64_t pad_id_;

 private:
  std::vector<std::vector<int64_t>> tokens_;  // by corpus index
  int64_t max_len_;
  double mean_length_ = 0, truncated_fraction_ = 0;
};

}  // namespace attnlab
