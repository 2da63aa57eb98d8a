// A batch source over numbered examples (verses, sentence pairs): each split is a list of
// example indices, and a subclass says only how chosen examples become a batch. Random
// training batches, the fixed evenly spaced evaluation batches and whole-split ranges are
// the same for every such source.
#pragma once

#include <map>
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
  // batch_size examples drawn uniformly (with replacement) by `rng`.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw = 0) const override;
  // Examples at evenly spaced positions of the split: w * (n - 1) / (W - 1) for W = count * batch_size.
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  int64_t num_examples(const std::string& split) const override {
    return static_cast<int64_t>(indices(split).size());
  }
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  // The example indices of a split, in the split's order; throws for an unknown split.
  const std::vector<int64_t>& indices(const std::string& split) const;

 protected:
  // Turns the chosen examples into a batch. `rng` is the training generator for sample(),
  // null for evaluation batches (which must then be the same every time).
  virtual Batch make(const std::vector<int64_t>& examples, std::mt19937_64* rng) const = 0;

 private:
  std::map<std::string, std::vector<int64_t>> splits_;
};

}  // namespace attnlab
