#include "trainers/evaluation.h"

#include "core/util/precision.h"

namespace attnlab {

namespace {
void accumulate(MetricSums& sums, const TaskOutput& out, ConfusionMatrix* confusion, std::vector<GeneratedText>* generated) {
  const double n = out.loss_count > 0 ? static_cast<double>(out.loss_count) : 1.0;
  sums.add("loss", out.loss.item<double>() * n, n);
  sums.add(out.metrics);
  if (confusion && out.predictions.defined()) {
    auto pred = out.predictions.to(torch::kCPU, torch::kLong).contiguous();
    auto label = out.labels.to(torch::kCPU, torch::kLong).contiguous();
    for (int64_t i = 0; i < pred.numel(); ++i) confusion->add(label.data_ptr<int64_t>()[i], pred.data_ptr<int64_t>()[i]);
  }
  if (generated) generated->insert(generated->end(), out.generated.begin(), out.generated.end());
}
}  // namespace

MetricSums evaluate_split(torch::nn::Module& model, Task& task, const BatchSource& data, const std::string& split,
                          int64_t batch_size, int64_t iters, const torch::Device& device, ConfusionMatrix* confusion,
                          std::vector<GeneratedText>* generated, const std::string& precision) {
  data.check_split(split);
  torch::NoGradGuard no_grad;
  AutocastScope autocast(precision, device);
  const bool was_training = model.is_training();
  model.eval();
  MetricSums sums;
  if (iters > 0) {
    for (int64_t i = 0; i < iters; ++i)
      accumulate(sums, task.compute(to_device(data.eval_batch(split, i, iters, batch_size), device)), confusion, generated);
  } else {
    const int64_t n = data.num_examples(split);
    for (int64_t start = 0; start < n; start += batch_size)
      accumulate(sums, task.compute(to_device(data.examples(split, start, batch_size), device)), confusion, generated);
  }
  task.summarize(sums);
  if (was_training) model.train();
  return sums;
}

bool higher_is_better(const std::string& metric) {
  return metric.find("loss") == std::string::npos;
}

}  // namespace attnlab
