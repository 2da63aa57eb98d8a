#include "models/causal_lm_task.h"

namespace attnlab {

TaskOutput CausalLMTask::compute(const Batch& batch) {
  const auto& input = batch.at("input");
  return causal_lm_output(logits_fn_(input), input, batch.at("target"));
}

TaskOutput causal_lm_output(const torch::Tensor& logits, const torch::Tensor& input, const torch::Tensor& target) {
  auto loss = torch::nn::functional::cross_entropy(
      logits.flatten(0, 1).to(torch::kFloat), target.flatten(),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1));
  TaskOutput out;
  out.loss = loss;
  out.loss_count = target.ge(0).sum().item<int64_t>();
  out.num_tokens = input.numel();
  return out;
}

}  // namespace attnlab
