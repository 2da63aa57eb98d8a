#include "models/classification_task.h"

namespace attnlab {

TaskOutput ClassificationTask::compute(const Batch& batch) {
  const auto& input = batch.at("input");
  const auto& label = batch.at("label");
  auto logits = logits_fn_(input).to(torch::kFloat);
  TaskOutput out;
  out.loss = torch::nn::functional::cross_entropy(logits, label);
  out.loss_count = label.numel();
  out.num_tokens = pad_id_ >= 0 ? input.ne(pad_id_).sum().item<int64_t>() : input.numel();
  out.predictions = logits.argmax(-1);
  out.labels = label;
  out.metrics.add("accuracy", out.predictions.eq(label).sum().item<double>(), static_cast<double>(label.numel()));
  return out;
}

}  // namespace attnlab
