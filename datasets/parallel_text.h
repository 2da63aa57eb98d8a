// Sentence pairs as a batch source for translation: the source is `tokens [SEP]`, the
// decoder reads `[CLS] tokens` (target_in) and predicts `tokens [SEP]` (target_out). Training
// batches are built by token count with length bucketing and walk whole epochs (every
// training pair once per epoch, in a seeded order); evaluation splits are ordered by source
// length so that whole-split batches pad little.
#pragma once

#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/task.h"
#include "datasets/parallel_corpus.h"
#include "datasets/tokenizer.h"

namespace attnlab {

struct ParallelBatchingOptions {
  int64_t max_len = 256;     // tokens per side with [SEP] (or [CLS]); longer training pairs are left out
  int64_t max_tokens = 0;    // per training batch, padded (rows x longest side); 0 = trainer.batch_size pairs
  int64_t bucket_window = 0; // pairs sorted by length together; 0 = 100 batches' worth
  uint64_t seed = 1337;      // epoch orders
};

class ParallelTextDataset : public BatchSource {
 public:
  // `splits`: pair indices of train / val / test.
  ParallelTextDataset(const std::vector<ParallelPair>& pairs, std::map<std::string, std::vector<int64_t>> splits,
                      const Tokenizer& tokenizer, const ParallelBatchingOptions& options);

  std::vector<std::string> splits() const override;
  // max_tokens > 0: the next token-count batch of the epoch `draw` falls in (batch_size and
  // rng unused); else batch_size random pairs.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw = 0) const override;
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  int64_t num_examples(const std::string& split) const override;
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  // The token-count batches of training epoch `epoch` (pair indices).
  std::vector<std::vector<int64_t>> epoch_batches(int64_t epoch) const;
  // {"source", "target_in", "target_out"} [B, *] int64, padded with [PAD].
  Batch make(const std::vector<int64_t>& pairs) const;

  const std::vector<int64_t>& split_indices(const std::string& split) const;
  int64_t filtered() const { return filtered_; }            // training pairs left out by max_len
  int64_t truncated() const { return truncated_; }          // val/test pairs cut to max_len
  double mean_source_length() const { return mean_src_; }
  double mean_target_length() const { return mean_tgt_; }
  // Padding share of the first epoch's training batches, source and target sides.
  std::pair<double, double> padding_fraction() const;
  int64_t batches_per_epoch() const { return static_cast<int64_t>(epoch_batches(0).size()); }

 private:
  std::map<std::string, std::vector<int64_t>> splits_;
  std::vector<std::vector<int64_t>> source_, target_;  // by pair: tokens + [SEP]
  std::vector<int64_t> cost_;                         // by pair: the longer side + 1
  SpecialTokens sp_;
  ParallelBatchingOptions options_;
  int64_t filtered_ = 0, truncated_ = 0;
  double mean_src_ = 0, mean_tgt_ = 0;
  // The epoch plans walked so far: first draw of each epoch, and the current epoch's batches.
  mutable std::mutex mutex_;
  mutable std::vector<int64_t> epoch_start_ = {0};
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<std::vector<int64_t>> cached_batches_;
};

}  // namespace attnlab
