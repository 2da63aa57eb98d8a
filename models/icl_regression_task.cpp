#include "models/icl_regression_task.h"

#include <fmt/format.h>

#include <iterator>

#include "models/icl_baselines.h"

namespace attnlab {

namespace {
// The model and the baselines, in the order of the curves: metric key, line title.
struct Method {
  const char* key;
  const char* title;
};
constexpr Method kMethods[] = {
    {"model", "transformer"}, {"least_squares", "least squares"}, {"3nn", "3-nearest neighbours"}, {"averaging", "averaging"}};
std::string key(const std::string& method, int64_t k) { return fmt::format("_{}_k{}", method, k); }
}  // namespace

TaskOutput IclRegressionTask::compute(const Batch& batch) {
  const auto& xs = batch.at("xs");
  const auto& ys = batch.at("ys");
  const auto d = static_cast<double>(xs.size(-1));
  const auto predictions = model_(xs, ys).to(torch::kFloat);
  const auto squared = (predictions - ys).pow(2);  // [B, P]
  TaskOutput out;
  out.loss = squared.mean();
  out.loss_count = squared.numel();
  out.num_tokens = 2 * squared.numel();  // x and y positions
  out.metrics.add("nse", squared.sum().item<double>() / d, static_cast<double>(squared.numel()));
  if (!model_->is_training()) {
    torch::NoGradGuard no_grad;
    const torch::Tensor per_method[] = {predictions.detach(), least_squares_predictions(xs, ys),
                                        nearest_neighbour_predictions(xs, ys, 3), averaging_predictions(xs, ys)};
    const auto rows = static_cast<double>(xs.size(0));
    static_assert(sizeof(per_method) / sizeof(per_method[0]) == std::size(kMethods));
    for (size_t m = 0; m < std::size(kMethods); ++m) {
      const auto per_k = (per_method[m] - ys).pow(2).sum(0).to(torch::kCPU, torch::kDouble).contiguous();  // [P]
      for (int64_t k = 0; k < per_k.size(0); ++k)
        out.metrics.add(key(kMethods[m].key, k), per_k.data_ptr<double>()[k] / d, rows);
    }
  }
  return out;
}

MetricCurves IclRegressionTask::curves(const MetricSums& sums) const {
  MetricCurves c;
  c.title = fmt::format("in-context linear regression, d = {}", model_->options.n_dims);
  c.x_label = "in-context examples k";
  c.x_name = "k";
  c.y_label = "squared error / d";
  // Predicting 0 scores 1; averaging starts near d + 1 at k = 1 and would flatten every other line.
  c.y_max = 1.5;
  for (int64_t k = 0; sums.sums().count(key("model", k)); ++k) c.x.push_back(static_cast<double>(k));
  if (c.x.empty()) return c;  // not an evaluation's sums
  for (const Method& m : kMethods) {
    std::vector<double> y;
    for (size_t k = 0; k < c.x.size(); ++k) y.push_back(sums.value(key(m.key, static_cast<int64_t>(k))));
    c.lines.emplace_back(m.title, std::move(y));
  }
  return c;
}

}  // namespace attnlab
