#include "models/masked_lm_task.h"

namespace attnlab {

TaskOutput MaskedLMTask::compute(const Batch& batch) {
  const auto& input = batch.at("input");
  const auto& target = batch.at("target");
  auto selected = target.ge(0);
  auto logits = logits_fn_(input, selected).to(torch::kFloat);  // [N, V]
  auto labels = target.masked_select(selected);                  // [N], same row-major order
  TaskOutput out;
  out.loss = torch::nn::functional::cross_entropy(logits, labels);
  out.loss_count = labels.numel();
  out.num_tokens = input.ne(pad_id_).sum().item<int64_t>();
  const auto correct = logits.argmax(-1).eq(labels).sum().item<double>();
  out.metrics.add("mlm_accuracy", correct, static_cast<double>(labels.numel()));
  return out;
}

}  // namespace attnlab
