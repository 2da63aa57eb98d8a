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

#include "datasets/indexed_source.h"
#include "datasets/parallel_corpus.h"
#include "datasets/tokenizer.h"

namespace attnlab {

struct ParallelBatchingOptions {
  int64_t max_len = 256;     // tokens per side with [SEP] (or [CLS]); longer training pairs are left out
  int64_t max_tokens = 0;    // per training batch, padded (rows x longest side); 0 = trainer.batch_size pairs
  int64_t bucket_window = 0; // pairs sorted by length together; 0 = 100 batches' worth
  uint64_t seed = 1337;      // epoch orders
};

// The pairs tokenised, and the splits after length filtering and sorting.
struct EncodedPairs {
  std::map<std::string, std::vector<int64_t>> splits;
  std::vector<std::vector<int64_t>> source, target;  // by pair: tokens + [SEP], cut to max_len
  int64_t filtered = 0, truncated = 0;               // training pairs left out; val/test pairs cut
  double mean_source = 0, mean_target = 0;           // tokens with [SEP], before cutting
  static EncodedPairs encode(const std::vector<ParallelPair>& pairs, std::map<std::string, std::vector<int64_t>> splits,
                             const Tokenizer& tokenizer, int64_t max_len);
};

class ParallelTextDataset : public IndexedBatchSource {
 public:
  // `splits`: pair indices of train / val / test.
  ParallelTextDataset(const std::vector<ParallelPair>& pairs, std::map<std::string, std::vector<int64_t>> splits,
                      const Tokenizer& tokenizer, const ParallelBatchingOptions& options);

  // max_tokens > 0: the token-count batch number `draw` of the epochs walked in order
  // (batch_size and rng unused); else batch_size random pairs.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw = 0) const override;
  // max_tokens > 0: each process trains on whole token-count batches of its own, batch
  // draw * world + rank, so `world` processes see the batches that one process sees with
  // trainer.gradient_accumulation_steps multiplied by `world`; else rows of one batch, as any source.
  Batch sample_shard(const std::string& split, int64_t batch_size, int rank, int world, std::mt19937_64& rng,
                     int64_t draw = 0) const override;

  // The token-count batches of training epoch `epoch` (pair indices); needs max_tokens > 0,
  // as do padding_fraction() and batches_per_epoch().
  std::vector<std::vector<int64_t>> epoch_batches(int64_t epoch) const;

  int64_t filtered() const { return pairs_.filtered; }    // training pairs left out by max_len
  int64_t truncated() const { return pairs_.truncated; }  // val/test pairs cut to max_len
  double mean_source_length() const { return pairs_.mean_source; }
  double mean_target_length() const { return pairs_.mean_target; }
  // Padding share of the first epoch's training batches, source and target sides.
  std::pair<double, double> padding_fraction() const;
  int64_t batches_per_epoch() const { return static_cast<int64_t>(epoch_batches(0).size()); }

 protected:
  // {"source", "target_in", "target_out"} [B, *] int64, padded with [PAD].
  Batch make(const std::vector<int64_t>& pairs, std::mt19937_64* rng) const override;

 private:
  ParallelTextDataset(EncodedPairs pairs, const SpecialTokens& specials, const ParallelBatchingOptions& options);
  EncodedPairs pairs_;
  std::vector<int64_t> cost_;  // by pair: the longer side
  SpecialTokens sp_;
  ParallelBatchingOptions options_;
  // The epoch plans walked so far: first draw of each epoch, and the current epoch's batches.
  mutable std::mutex mutex_;
  mutable std::vector<int64_t> epoch_start_ = {0};
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<std::vector<int64_t>> cached_batches_;
};

}  // namespace attnlab
