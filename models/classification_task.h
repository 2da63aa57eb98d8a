// Sequence classification: cross-entropy over one label per example, with the accuracy and
// the predictions (for whole-split metrics such as the confusion matrix in `attnlab eval`).
#pragma once

#include <functional>

#include "core/task.h"

namespace attnlab {

class ClassificationTask : public Task {
 public:
  // logits_fn maps inputs [B, ...] to class logits [B, K].
  using LogitsFn = std::function<torch::Tensor(const torch::Tensor&)>;
  ClassificationTask(LogitsFn logits_fn, int64_t pad_id) : logits_fn_(std::move(logits_fn)), pad_id_(pad_id) {}

  // Batch: "input" and "label" [B] int64. Metrics: "accuracy".
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override { return {"accuracy"}; }

 private:
  LogitsFn logits_fn_;
  int64_t pad_id_;  // -1: inputs have no padding (all tokens count for throughput)
};

}  // namespace attnlab
