#include "models/decision_task.h"

#include <fmt/format.h>

#include <cmath>

#include "models/rollout.h"

namespace attnlab {

namespace {
std::string key(const char* what, size_t k) { return fmt::format("_{}_k{}", what, k); }
}  // namespace

DecisionTask::DecisionTask(DecisionTransformer model, RolloutOptions rollouts, std::string env, double best_return,
                           double mean_return)
    : model_(std::move(model)), rollouts_(rollouts), env_(std::move(env)), best_return_(best_return),
      mean_return_(mean_return) {}

std::vector<double> DecisionTask::targets() const {
  const double top = rollouts_.eval_return != 0 ? rollouts_.eval_return : best_return_;
  std::vector<double> t;
  for (int64_t k = 1; k <= rollouts_.eval_targets; ++k) t.push_back(top * static_cast<double>(k) / rollouts_.eval_targets);
  return t;
}

TaskOutput DecisionTask::compute(const Batch& batch) {
  const auto& mask = batch.at("mask");
  const auto pred = model_(batch.at("returns_to_go"), batch.at("states"), batch.at("actions"), batch.at("timesteps"))
                        .to(torch::kFloat);
  const auto& actions = batch.at("actions");
  TaskOutput out;
  const auto counted = mask.sum();
  out.loss_count = counted.item<int64_t>();
  out.num_tokens = out.loss_count * model_->options.tokens_per_step();
  if (model_->options.discrete()) {
    const auto losses = torch::nn::functional::cross_entropy(
        pred.flatten(0, 1), actions.flatten(),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    const auto m = mask.flatten().to(torch::kFloat);
    out.loss = (losses * m).sum() / counted;
    const auto correct = ((pred.argmax(-1) == actions) & mask).sum().item<double>();
    out.metrics.add("action_accuracy", correct, static_cast<double>(out.loss_count));
  } else {
    const auto squared = (pred - actions).pow(2).mean(-1);  // [B, T]
    out.loss = (squared * mask.to(torch::kFloat)).sum() / counted;
  }
  return out;
}

std::vector<std::string> DecisionTask::metric_names() const {
  std::vector<std::string> names;
  if (model_->options.discrete()) names.push_back("action_accuracy");
  if (!env_.empty() && rollouts_.eval_episodes > 0) names.insert(names.end(), {"return", "solved"});
  return names;
}

void DecisionTask::run_episodes(MetricSums& sums, const std::string& split) {
  if (env_.empty() || rollouts_.eval_episodes <= 0 || split != "val") return;
  const auto t = targets();
  std::vector<double> target_of;
  std::vector<uint64_t> seeds;
  for (double target : t)
    for (int64_t e = 0; e < rollouts_.eval_episodes; ++e)
      target_of.push_back(target), seeds.push_back(static_cast<uint64_t>(rollouts_.eval_seed) * 1000000 + e);
  const auto outcomes = rollout(model_, env_, target_of, seeds);
  const auto n = static_cast<double>(rollouts_.eval_episodes);
  for (size_t k = 0; k < t.size(); ++k) {
    double sum = 0, sq = 0, solved = 0;
    for (int64_t e = 0; e < rollouts_.eval_episodes; ++e) {
      const auto& o = outcomes[k * rollouts_.eval_episodes + e];
      sum += o.achieved, sq += o.achieved * o.achieved, solved += o.solved;
    }
    sums.add(key("return", k), sum, n);
    sums.add(key("return_sq", k), sq, n);
    sums.add(key("solved", k), solved, n);
    if (k + 1 == t.size()) sums.add("return", sum, n), sums.add("solved", solved, n);
  }
}

MetricCurves DecisionTask::curves(const MetricSums& sums) const {
  MetricCurves c;
  const auto t = targets();
  if (t.empty() || !sums.sums().count(key("return", 0))) return c;
  c.title = fmt::format("{}: return achieved against return asked for ({} episodes a target)", env_,
                        rollouts_.eval_episodes);
  c.x_label = "target return";
  c.x_name = "target";
  c.y_label = "return";
  c.x = t;
  std::vector<double> mean, low, high, best(t.size(), best_return_), data_mean(t.size(), mean_return_);
  for (size_t k = 0; k < t.size(); ++k) {
    const double m = sums.value(key("return", k)), sd = std::sqrt(std::max(0.0, sums.value(key("return_sq", k)) - m * m));
    mean.push_back(m), low.push_back(m - sd), high.push_back(m + sd);
  }
  c.lines = {{"achieved (mean)", mean}, {"mean - std", low},       {"mean + std", high},
             {"target", t},             {"dataset best", best}, {"dataset mean", data_mean}};
  return c;
}

}  // namespace attnlab
