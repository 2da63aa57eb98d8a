// Offline RL with a Decision Transformer (or its behaviour-cloning variants): training
// predicts each logged action from the steps before it (cross-entropy for discrete actions,
// mean squared error for continuous ones); evaluation also acts in the environment
// (models/rollout.h) at several target returns and reports what the agent collects.
#pragma once

#include "core/task.h"
#include "models/decision_transformer.h"

namespace attnlab {

// The `model:` keys of evaluation by rollout (read by the decision_transformer family).
struct RolloutOptions {
  int64_t eval_episodes = 10;  // episodes per target return (seeds eval_seed * 1000000 + 0, 1, ...)
  int64_t eval_targets = 5;    // target returns eval_return * k / eval_targets, k = 1 .. eval_targets
  double eval_return = 0;      // the target behind val_return; 0 = the dataset's best return
  int64_t eval_seed = 0;
};

class DecisionTask : public Task {
 public:
  // env: the environment of the rollouts ("": none, no return metrics); best/mean_return: the
  // training episodes', for the target and the plot.
  DecisionTask(DecisionTransformer model, RolloutOptions rollouts, std::string env, double best_return,
               double mean_return);

  // Batch as datasets/trajectory_dataset.h makes it. Metrics: "action_accuracy" (discrete);
  // with an environment, from run_episodes() of the val split only (the episodes do not depend
  // on the split, so the trainer's train evaluation does not repeat them): "return" (mean
  // achieved at eval_return) and "solved" (the share of those episodes that reached the
  // environment's reward_threshold), and per target k the raw "_return_kK", "_return_sq_kK",
  // "_solved_kK".
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override;
  void run_episodes(MetricSums& sums, const std::string& split) override;
  // Achieved return (mean, mean ± std) against the target return, with the target itself
  // and the dataset's best and mean returns as lines.
  MetricCurves curves(const MetricSums& sums) const override;

  std::vector<double> targets() const;  // eval_return * k / eval_targets, k = 1 .. eval_targets

 private:
  DecisionTransformer model_;
  RolloutOptions rollouts_;
  std::string env_;
  double best_return_, mean_return_;
};

}  // namespace attnlab
