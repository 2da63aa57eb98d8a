// Next-token prediction: cross-entropy between a model's logits and the shifted targets.
// Serves every autoregressive language model in the zoo.
#pragma once

#include <functional>

#include "core/task.h"

namespace attnlab {

// The next-token loss of logits [B, T, V] for input and target [B, T] (target -1 ignored).
TaskOutput causal_lm_output(const torch::Tensor& logits, const torch::Tensor& input, const torch::Tensor& target);

class CausalLMTask : public Task {
 public:
  // logits_fn maps token ids [B, T] to logits [B, T, V].
  explicit CausalLMTask(std::function<torch::Tensor(const torch::Tensor&)> logits_fn)
      : logits_fn_(std::move(logits_fn)) {}

  // Batch: "input" [B, T] and "target" [B, T] int64; target -1 is ignored.
  TaskOutput compute(const Batch& batch) override;

 private:
  std::function<torch::Tensor(const torch::Tensor&)> logits_fn_;
};

}  // namespace attnlab
