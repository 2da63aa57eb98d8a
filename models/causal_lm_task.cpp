#include "models/causal_lm_task.h"

#include <algorithm>
#include <string>

namespace attnlab {

namespace {
constexpr const char* kPositionPrefix = "_pos_";
constexpr int64_t kMaxPositionBins = 32;
}  // namespace

TaskOutput CausalLMTask::compute(const Batch& batch) {
  const auto& input = batch.at("input");
  return causal_lm_output(logits_fn_(input), input, batch.at("target"), model_ && !model_->is_training());
}

TaskOutput causal_lm_output(const torch::Tensor& logits, const torch::Tensor& input, const torch::Tensor& target,
                            bool by_position) {
  namespace F = torch::nn::functional;
  auto opts = F::CrossEntropyFuncOptions().ignore_index(-1);
  TaskOutput out;
  out.loss_count = target.ge(0).sum().item<int64_t>();
  out.num_tokens = input.numel();
  if (!by_position) {
    out.loss = F::cross_entropy(logits.flatten(0, 1).to(torch::kFloat), target.flatten(), opts);
    return out;
  }
  // Ignored targets contribute 0 to the sums and nothing to the counts.
  const auto per_token = F::cross_entropy(logits.flatten(0, 1).to(torch::kFloat), target.flatten(),
                                          opts.reduction(torch::kNone)).view(target.sizes());  // [B, T]
  out.loss = per_token.sum() / std::max<int64_t>(out.loss_count, 1);
  const auto sums = per_token.detach().sum(0).to(torch::kCPU, torch::kDouble).contiguous();
  const auto counts = target.ge(0).sum(0).to(torch::kCPU, torch::kDouble).contiguous();
  for (int64_t t = 0; t < sums.size(0); ++t)
    if (counts.data_ptr<double>()[t] > 0)
      out.metrics.add(kPositionPrefix + std::to_string(t), sums.data_ptr<double>()[t], counts.data_ptr<double>()[t]);
  return out;
}

MetricCurves lm_position_curves(const MetricSums& sums) {
  int64_t positions = 0;
  while (sums.sums().count(kPositionPrefix + std::to_string(positions))) ++positions;
  MetricCurves c;
  if (positions == 0) return c;
  c.title = "next-token loss by position in the window";
  c.x_label = "position in the window (1 = the first token)";
  c.x_name = "position";
  c.y_label = "loss (nats)";
  const int64_t width = (positions + kMaxPositionBins - 1) / kMaxPositionBins;
  std::vector<double> loss;
  for (int64_t start = 0; start < positions; start += width) {
    MetricSum bin;
    for (int64_t t = start; t < std::min(start + width, positions); ++t) {
      const MetricSum& s = sums.sums().at(kPositionPrefix + std::to_string(t));
      bin.sum += s.sum, bin.count += s.count;
    }
    c.x.push_back(static_cast<double>(start + 1));
    loss.push_back(bin.value());
  }
  c.lines.emplace_back("loss", std::move(loss));
  return c;
}

}  // namespace attnlab
