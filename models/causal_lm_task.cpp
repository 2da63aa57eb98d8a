#include "models/causal_lm_task.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace attnlab {

namespace {
constexpr const char* kPositionPrefix = "_pos_";
constexpr int64_t kMaxPositionBins = 32;
}  // namespace

TaskOutput CausalLMTask::compute(const Batch& batch) {
  const auto& input = batch.at("input");
  return causal_lm_output(logits_fn_(input), input, batch.at("target"), model_ && !model_->is_training(),
                          target_characters(batch));
}

torch::Tensor target_characters(const Batch& batch) {
  const auto it = batch.find("target_characters");
  return it == batch.end() ? torch::Tensor() : it->second;
}

TaskOutput causal_lm_output(const torch::Tensor& logits, const torch::Tensor& input, const torch::Tensor& target,
                            bool by_position, const torch::Tensor& target_characters) {
  namespace F = torch::nn::functional;
  auto opts = F::CrossEntropyFuncOptions().ignore_index(-1);
  const auto flat_logits = logits.flatten(0, 1).to(torch::kFloat);
  const auto valid = target.ge(0);  // [B, T]; ignored targets (-1) are left out of loss and counts
  TaskOutput out;
  out.loss_count = valid.sum().item<int64_t>();
  out.num_tokens = input.numel();
  if (!by_position) {  // a training step: the loss alone
    out.loss = F::cross_entropy(flat_logits, target.flatten(), opts);
    return out;
  }
  const auto per_token = F::cross_entropy(flat_logits, target.flatten(), opts.reduction(torch::kNone)).view(target.sizes());
  // A batch with every target ignored gives NaN, as the mean above does: never a silent 0.
  out.loss = per_token.sum() / static_cast<double>(out.loss_count);
  if (target_characters.defined())  // the summed loss in bits over the characters of the counted targets
    out.metrics.add("bits_per_char", per_token.detach().sum().item<double>() / std::log(2.0),
                    target_characters.masked_select(valid).sum().item<double>());
  const auto sums = per_token.detach().sum(0).to(torch::kCPU, torch::kDouble).contiguous();
  const auto counts = valid.sum(0).to(torch::kCPU, torch::kDouble).contiguous();
  for (int64_t t = 0; t < sums.size(0); ++t)
    if (counts.data_ptr<double>()[t] > 0)
      out.metrics.add(kPositionPrefix + std::to_string(t), sums.data_ptr<double>()[t], counts.data_ptr<double>()[t]);
  return out;
}

MetricCurves lm_position_curves(const MetricSums& sums) {
  // One past the last position seen: a position whose targets were all ignored has no entry.
  int64_t positions = 0;
  const std::string prefix = kPositionPrefix;
  for (auto it = sums.sums().lower_bound(prefix); it != sums.sums().end() && it->first.rfind(prefix, 0) == 0; ++it)
    positions = std::max<int64_t>(positions, std::stoll(it->first.substr(prefix.size())) + 1);
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
      const auto it = sums.sums().find(prefix + std::to_string(t));
      if (it != sums.sums().end()) bin.sum += it->second.sum, bin.count += it->second.count;
    }
    if (bin.count == 0) continue;  // no token counted there: no point rather than a loss of 0
    c.x.push_back(static_cast<double>(start + 1));
    loss.push_back(bin.value());
  }
  c.lines.emplace_back("loss", std::move(loss));
  return c;
}

}  // namespace attnlab
