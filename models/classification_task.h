// Classification of token sequences or images: cross-entropy over one label per example
// (optionally label-smoothed), with the accuracy and the predictions (for whole-split metrics
// such as the confusion matrix in `attnlab eval`).
#pragma once

#include <functional>

#include "core/task.h"

namespace attnlab {

struct ClassificationTaskOptions {
  int64_t pad_id = -1;            // token inputs: [PAD] does not count as a token for throughput
  int64_t tokens_per_example = 0;  // > 0: tokens the model makes of each input (image patches)
  double label_smoothing = 0.0;   // training loss: targets (1 - e) one-hot + e / K
};

class ClassificationTask : public Task {
 public:
  // logits_fn maps inputs [B, ...] to class logits [B, K].
  using LogitsFn = std::function<torch::Tensor(const torch::Tensor&)>;
  ClassificationTask(LogitsFn logits_fn, ClassificationTaskOptions options)
      : logits_fn_(std::move(logits_fn)), options_(options) {}

  // Batch: "input" and "label" [B] int64. Metrics: "accuracy".
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override { return {"accuracy"}; }

 private:
  LogitsFn logits_fn_;
  ClassificationTaskOptions options_;
};

}  // namespace attnlab
