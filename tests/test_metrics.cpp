// Metrics: exact aggregation over uneven batches, the confusion matrix by hand, best_metric.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/metrics/confusion_matrix.h"
#include "models/classification_task.h"
#include "test_util.h"
#include "trainers/evaluation.h"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

// 10 examples with fixed labels; the "model" predicts input % 3.
class TenExamples : public BatchSource {
 public:
  Batch sample(const std::string&, int64_t, std::mt19937_64&, int64_t) const override { return {}; }
  Batch eval_batch(const std::string&, int64_t, int64_t, int64_t) const override { return {}; }
  int64_t num_examples(const std::string&) const override { return 10; }
  Batch examples(const std::string&, int64_t start, int64_t count) const override {
    const int64_t end = std::min<int64_t>(start + count, 10);
    auto input = torch::arange(start, end, torch::kLong).unsqueeze(1);
    auto label = torch::tensor(std::vector<int64_t>(labels_.begin() + start, labels_.begin() + end), torch::kLong);
    return {{"input", input}, {"label", label}};
  }
  std::vector<int64_t> labels_ = {0, 1, 2, 0, 0, 1, 1, 2, 2, 2};
};

}  // namespace

TEST_CASE("accuracy over uneven batches equals the accuracy over the whole set") {
  TenExamples data;
  torch::nn::Module model;
  ClassificationTask task(
      [](const torch::Tensor& x) { return torch::one_hot(x.squeeze(1).remainder(3), 3).to(torch::kFloat) * 5.0; },
      ClassificationTaskOptions{});
  // Predictions 0 1 2 0 1 2 0 1 2 0 against 0 1 2 0 0 1 1 2 2 2: correct at 0, 1, 2, 3, 8 = 5 of 10.
  for (int64_t batch : {1, 3, 4, 7, 10}) {  // 4 and 7 leave a short last batch
    ConfusionMatrix cm({"a", "b", "c"});
    auto sums = evaluate_split(model, task, data, "val", batch, 0, torch::kCPU, &cm);
    CHECK(sums.value("accuracy") == Approx(0.5));
    CHECK(sums.sums().at("accuracy").count == 10);
    CHECK(cm.total() == 10);
    CHECK(cm.accuracy() == Approx(0.5));
  }
  // The loss too is weighted by examples, not averaged per batch: compare with one batch of 10.
  auto whole = evaluate_split(model, task, data, "val", 10, 0, torch::kCPU);
  auto uneven = evaluate_split(model, task, data, "val", 4, 0, torch::kCPU);
  CHECK(uneven.value("loss") == Approx(whole.value("loss")).epsilon(1e-6));
}

TEST_CASE("confusion matrix: precision, recall, F1, macro-F1 and the majority floor by hand") {
  ConfusionMatrix cm({"x", "y", "z"});
  // true x: predicted x x y; true y: y y x z; true z: z
  for (auto [l, p] : std::vector<std::pair<int, int>>{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {1, 0}, {1, 2}, {2, 2}})
    cm.add(l, p);
  CHECK(cm.accuracy() == Approx(5.0 / 8));
  CHECK(cm.precision(0) == Approx(2.0 / 3));  // predicted x: 3, of which 2 are x
  CHECK(cm.recall(1) == Approx(2.0 / 4));
  CHECK(cm.f1(0) == Approx(2.0 / 3));         // p = r = 2/3
  CHECK(cm.f1(1) == Approx(2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5)));
  CHECK(cm.f1(2) == Approx(2 * 0.5 * 1.0 / 1.5));  // p = 1/2, r = 1
  CHECK(cm.macro_f1() == Approx((2.0 / 3 + 4.0 / 7 + 2.0 / 3) / 3));
  CHECK(cm.majority_accuracy() == Approx(4.0 / 8));
  const auto j = cm.to_json();
  CHECK(j["matrix"][1] == nlohmann::json({1, 2, 1}));
  CHECK_THAT(cm.to_table(), Contains(" 1 y"));
  CHECK_THROWS_WITH(cm.add(3, 0), Contains("out of range"));
}
