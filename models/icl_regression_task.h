// In-context regression: the mean squared error of every prediction of y_k from the pairs
// before it. Evaluation also scores least squares, 3-nearest-neighbours and averaging on the
// same prompts, position by position, and reports all four as curves of the normalised
// squared error (divided by d) against k, the number of in-context examples.
#pragma once

#include "core/task.h"
#include "models/icl_regressor.h"

namespace attnlab {

class IclRegressionTask : public Task {
 public:
  explicit IclRegressionTask(IclRegressor model) : model_(std::move(model)) {}

  // Batch: "xs" [B, P, d], "ys" [B, P] float32. Metrics: "nse" (normalised squared error over
  // all positions); in evaluation, per position k the raw sums "_model_kK", "_least_squares_kK",
  // "_3nn_kK", "_averaging_kK".
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override { return {"nse"}; }
  MetricCurves curves(const MetricSums& sums) const override;

 private:
  IclRegressor model_;
};

}  // namespace attnlab
