#include "models/classification_task.h"

namespace attnlab {

TaskOutput ClassificationTask::compute(const Batch& batch) {
  const auto& input = batch.at("input");
  const auto& label = batch.at("label");
  auto logits = logits_fn_(input).to(torch::kFloat);
  TaskOutput out;
  out.loss = torch::nn::functional::cross_entropy(
      logits, label, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(options_.label_smoothing));
  out.loss_count = label.numel();
  if (options_.tokens_per_example > 0) out.num_tokens = label.numel() * options_.tokens_per_example;
  else out.num_tokens = options_.pad_id >= 0 ? input.ne(options_.pad_id).sum().item<int64_t>() : input.numel();
  out.predictions = logits.argmax(-1);
  out.labels = label;
  out.metrics.add("accuracy", out.predictions.eq(label).sum().item<double>(), static_cast<double>(label.numel()));
  return out;
}

}  // namespace attnlab
