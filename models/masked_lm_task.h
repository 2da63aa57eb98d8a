// Masked-token prediction: cross-entropy over the selected positions only (target >= 0),
// with the accuracy over those positions. Serves every masked encoder in the zoo.
#pragma once

#include <functional>

#include "core/task.h"

namespace attnlab {

class MaskedLMTask : public Task {
 public:
  // logits_fn(input [B, T], selected [B, T] bool) -> logits [N, V] for the N selected positions,
  // in row-major order.
  using LogitsFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;
  MaskedLMTask(LogitsFn logits_fn, int64_t pad_id) : logits_fn_(std::move(logits_fn)), pad_id_(pad_id) {}

  // Batch: "input" [B, T] (masked), "target" [B, T] (original id at selected positions, else -1).
  // Metrics: "mlm_accuracy" over the selected positions.
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override { return {"mlm_accuracy"}; }

 private:
  LogitsFn logits_fn_;
  int64_t pad_id_;
};

}  // namespace attnlab
