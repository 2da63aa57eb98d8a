// A batch source over numbered examples (verses, sentence pairs): each split is a list of
// example indices, and a subclass says only how chosen examples become a batch. Random
// training batches, the fixed evenly spaced evaluation batches and whole-split ranges are
// the same for every such source.
#pragma once

#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/task.h"

namespace attnlab {

class IndexedBatchSource : public BatchSource {
 public:
  explicit IndexedBatchSource(std::map<std::string, std::vector<int64_t>> splits) : splits_(std::move(splits)) {}

  // train, val, test: those that have examples.
  std::vector<std::string> splits() const override;
  // batch_size examples drawn uniformly (with replacement) by `rng`; after walk_epochs(),
  // training batch number `draw` of the epochs walked in order.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw = 0) const override;
  // Examples at evenly spaced positions of the split: w * (n - 1) / (W - 1) for W = count * batch_size.
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  int64_t num_examples(const std::string& split) const override {
    return static_cast<int64_t>(indices(split).size());
  }
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  // The example indices of a split, in the split's order; throws for an unknown split.
  const std::vector<int64_t>& indices(const std::string& split) const;

  // Walk whole epochs instead of drawing with replacement: every example once per epoch, in
  // a seeded shuffle of its own for each epoch (the same on every machine), the last partial
  // batch of an epoch dropped. The place in the epochs comes from `draw`, so resuming needs
  // no sampler state of its own.
  void walk_epochs(uint64_t seed) { epoch_seed_ = seed, walk_epochs_ = true; }
  // The examples of `split` in the order epoch `epoch` visits them.
  std::vector<int64_t> epoch_order(const std::string& split, int64_t epoch) const;

 protected:
  // Turns the chosen examples into a batch. `rng` is the training generator for sample(),
  // null for evaluation batches (which must then be the same every time).
  virtual Batch make(const std::vector<int64_t>& examples, std::mt19937_64* rng) const = 0;

 private:
  std::map<std::string, std::vector<int64_t>> splits_;
  bool walk_epochs_ = false;
  uint64_t epoch_seed_ = 0;
  // The epoch order in use (sample() is called once per batch; the shuffle once per epoch).
  mutable std::mutex mutex_;
  mutable std::string cached_split_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> cached_order_;
};

}  // namespace attnlab
