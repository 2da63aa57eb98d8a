// Verses as padded token sequences, and the batch source every verse family builds on:
// each verse is [CLS] tokens [SEP] (truncated to max_len); a batch is padded to its longest
// row with [PAD]. Subclasses say only how chosen rows become a batch (masking, labels).
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/task.h"
#include "datasets/tokenizer.h"
#include "datasets/verse_corpus.h"

namespace attnlab {

class VerseBatchSource : public BatchSource {
 public:
  VerseBatchSource(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                   const Tokenizer& tokenizer, int64_t max_len);

  std::vector<std::string> splits() const override;
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
               int64_t draw = 0) const override;
  // Verses at evenly spaced positions of the split: w * (n - 1) / (W - 1) for W = count * batch_size.
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  int64_t num_examples(const std::string& split) const override {
    return static_cast<int64_t>(verse_indices(split).size());
  }
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  // Corpus indices of a split's verses, in corpus order.
  const std::vector<int64_t>& verse_indices(const std::string& split) const;
  // The token ids of verse `corpus_index`, [CLS] ... [SEP].
  const std::vector<int64_t>& tokens(int64_t corpus_index) const { return tokens_[static_cast<size_t>(corpus_index)]; }
  int64_t max_len() const { return max_len_; }
  // Mean tokens per verse (before truncation) and the fraction truncated, over all verses.
  double mean_length() const { return mean_length_; }
  double truncated_fraction() const { return truncated_fraction_; }

 protected:
  // Turns the chosen verses (corpus indices) into a batch. `rng` is the training generator
  // for sample(), null for evaluation batches (which must then be the same every time).
  virtual Batch make(const std::vector<int64_t>& verses, std::mt19937_64* rng) const = 0;
  // [B, L] int64: the verses' tokens, padded with [PAD] to the longest of them.
  torch::Tensor padded(const std::vector<int64_t>& verses) const;
  int64_t pad_id_;

 private:
  std::map<std::string, std::vector<int64_t>> splits_;
  std::vector<std::vector<int64_t>> tokens_;  // by corpus index
  int64_t max_len_;
  double mean_length_ = 0, truncated_fraction_ = 0;
};

}  // namespace attnlab
