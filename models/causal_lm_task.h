// Next-token prediction: cross-entropy between a model's logits and the shifted targets.
// Serves every autoregressive language model in the zoo.
#pragma once

#include <functional>
#include <memory>

#include "core/task.h"

namespace attnlab {

// The next-token loss of logits [B, T, V] for input and target [B, T] (target -1 ignored).
// With `by_position` (evaluations), also the loss summed at each position t of the window as
// the raw statistic "_pos_t", for lm_position_curves, and, given `target_characters` [B, T]
// (the characters each target stands for: data.type text gives them), "bits_per_char": the
// summed loss in bits over the characters, comparable between tokenizers.
TaskOutput causal_lm_output(const torch::Tensor& logits, const torch::Tensor& input, const torch::Tensor& target,
                            bool by_position = false, const torch::Tensor& target_characters = {});

// The batch's "target_characters", or an undefined tensor.
torch::Tensor target_characters(const Batch& batch);

// Loss against the position in the window, from causal_lm_output's "_pos_t" sums: how much a
// model gains from the context before a token (a model that uses no context past W positions
// is flat after W). Positions in up to 32 bins of equal width; x is a bin's first position,
// 1-based. Empty when the sums hold no positions (a training step's).
MetricCurves lm_position_curves(const MetricSums& sums);

class CausalLMTask : public Task {
 public:
  // logits_fn maps token ids [B, T] to logits [B, T, V]. Given the `model` behind it, an
  // evaluation (the model in eval mode) also reports the loss by position (curves()).
  explicit CausalLMTask(std::function<torch::Tensor(const torch::Tensor&)> logits_fn,
                        std::shared_ptr<torch::nn::Module> model = nullptr)
      : logits_fn_(std::move(logits_fn)), model_(std::move(model)) {}

  // Batch: "input" [B, T] and "target" [B, T] int64; target -1 is ignored; optional
  // "target_characters" [B, T] int64 (bits per character).
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override { return {"bits_per_char"}; }
  MetricCurves curves(const MetricSums& sums) const override { return lm_position_curves(sums); }

 private:
  std::function<torch::Tensor(const torch::Tensor&)> logits_fn_;
  std::shared_ptr<torch::nn::Module> model_;
};

}  // namespace attnlab
