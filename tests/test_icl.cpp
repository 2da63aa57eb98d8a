// In-context linear regression: the baselines against hand computations, the prompt stream,
// the model's causality, overfitting a few prompts, and train + eval from the command line.
#include <catch2/catch.hpp>

#include "datasets/icl_linear.h"
#include "models/icl_baselines.h"
#include "models/icl_regression_task.h"
#include "models/icl_regressor.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

// One prompt in d = 2 with w = (2, -1): x = (1,0), (0,1), (1,1), (2,0), (0,0.9).
std::pair<torch::Tensor, torch::Tensor> hand_prompt() {
  auto xs = torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 2.0f, 0.0f, 0.0f, 0.9f}).view({1, 5, 2});
  auto ys = torch::tensor({2.0f, -1.0f, 1.0f, 4.0f, -0.9f}).view({1, 5});
  return {xs, ys};
}

IclRegressor tiny_model(int64_t d, int64_t points) {
  torch::manual_seed(3);
  IclRegressorOptions o;
  o.n_dims = d, o.n_points = points, o.n_layer = 2, o.n_head = 2, o.n_embd = 32;
  return IclRegressor(o);
}

TrainSummary train_tiny(const TempDir& dir, const std::vector<std::string>& overrides) {
  return attnlab::testing::train_config("icl/linear_regression_tiny.yaml", dir, overrides);
}

}  // namespace

TEST_CASE("icl baselines: least squares, 3-nearest-neighbours and averaging against hand computations") {
  auto [xs, ys] = hand_prompt();
  const auto lsq = least_squares_predictions(xs, ys);
  CHECK(lsq[0][0].item<float>() == 0.0f);                 // no pair yet
  CHECK(lsq[0][1].item<float>() == Approx(0.0));          // one pair: w = (2, 0), the minimum-norm fit
  for (int k = 2; k < 5; ++k) CHECK(lsq[0][k].item<float>() == Approx(ys[0][k].item<float>()).margin(1e-5));  // k >= d: exact

  const auto nn = nearest_neighbour_predictions(xs, ys, 3);
  CHECK(nn[0][1].item<float>() == Approx(2.0));        // the only pair
  CHECK(nn[0][2].item<float>() == Approx(0.5));        // both pairs: (2 - 1) / 2
  CHECK(nn[0][3].item<float>() == Approx(2.0 / 3));    // all three: (2 - 1 + 1) / 3
  // x = (0, 0.9): nearest (0,1), (1,1), (1,0) (squared distances .01, 1.01, 1.81), not (2,0): (-1 + 1 + 2) / 3
  CHECK(nn[0][4].item<float>() == Approx(2.0 / 3));

  const auto avg = averaging_predictions(xs, ys);
  CHECK(avg[0][2].item<float>() == Approx(0.5));  // w = (2·(1,0) - (0,1)) / 2 = (1, -0.5); x = (1,1)
  // k = 3: w = ((2,0) + (0,-1) + (1,1)) / 3 = (1, 0); x = (2,0) -> 2
  CHECK(avg[0][3].item<float>() == Approx(2.0));
}

TEST_CASE("icl_linear data: seeded prompts with y = w.x, fixed validation prompts, the curriculum") {
  IclLinearOptions o;
  o.n_dims = 4, o.n_points = 9, o.val_prompts = 10;
  o.curriculum_every = 100, o.curriculum_dims = 2, o.curriculum_points = 3;
  IclLinearDataset data(o, 11);
  std::mt19937_64 a(5), b(5), c(6);
  const Batch first = data.sample("train", 8, a, 1000), again = data.sample("train", 8, b, 1000);
  CHECK(first.at("xs").equal(again.at("xs")));
  CHECK(first.at("ys").equal(again.at("ys")));
  CHECK_FALSE(first.at("xs").equal(data.sample("train", 8, c, 1000).at("xs")));
  REQUIRE(first.at("xs").sizes() == torch::IntArrayRef({8, 9, 4}));
  // y = w.x for one w per prompt: least squares on the first 4 points finds it, and it fits all 9.
  const auto fit = least_squares_predictions(first.at("xs"), first.at("ys"));
  CHECK((fit.narrow(1, 4, 5) - first.at("ys").narrow(1, 4, 5)).abs().max().item<double>() < 1e-4);
  CHECK(first.at("ys").abs().max().item<double>() > 0.1);

  // Validation prompts are fixed, whatever the batching.
  const Batch v = data.eval_batch("val", 1, 3, 4), whole = data.examples("val", 0, 10);
  CHECK(v.at("xs").equal(whole.at("xs").narrow(0, 4, 4)));
  CHECK_FALSE(whole.at("xs").equal(data.examples("train", 0, 10).at("xs")));

  // The curriculum: 2 dimensions and 3 points at first, then +1 and +2 every 100 batches.
  CHECK(data.curriculum(0) == std::make_pair<int64_t, int64_t>(2, 3));
  CHECK(data.curriculum(150) == std::make_pair<int64_t, int64_t>(3, 5));
  CHECK(data.curriculum(100000) == std::make_pair<int64_t, int64_t>(4, 9));
  std::mt19937_64 d(1);
  const Batch early = data.sample("train", 5, d, 0);
  CHECK(early.at("xs").sizes() == torch::IntArrayRef({5, 3, 4}));
  CHECK(early.at("xs").narrow(2, 2, 2).abs().max().item<double>() == 0.0);
  CHECK(early.at("xs").narrow(2, 0, 2).abs().max().item<double>() > 0.0);
}

TEST_CASE("icl_regressor is causal: prediction i reads x_1..x_i and y_1..y_(i-1) only") {
  auto model = tiny_model(3, 6);
  model->eval();
  torch::NoGradGuard no_grad;
  auto xs = torch::randn({2, 6, 3}), ys = torch::randn({2, 6});
  const auto before = model(xs, ys);
  REQUIRE(before.sizes() == torch::IntArrayRef({2, 6}));
  auto ys2 = ys.clone(), xs2 = xs.clone();
  ys2.select(1, 3).add_(5.0);  // y_4 (0-based 3): predictions 0..3 must not move, 4 must
  xs2.select(1, 5).add_(5.0);  // x_6: only prediction 5 may move
  const auto after = model(xs2, ys2);
  CHECK(after.narrow(1, 0, 4).equal(before.narrow(1, 0, 4)));
  CHECK((after.select(1, 4) - before.select(1, 4)).abs().max().item<double>() > 1e-4);
  // And a shorter prompt gives the same first predictions.
  CHECK((model(xs.narrow(1, 0, 3), ys.narrow(1, 0, 3)) - before.narrow(1, 0, 3)).abs().max().item<double>() < 1e-6);
}

TEST_CASE("a tiny icl_regressor overfits four fixed prompts") {
  auto model = tiny_model(3, 6);
  IclRegressionTask task(model);
  IclLinearOptions o;
  o.n_dims = 3, o.n_points = 6;
  std::mt19937_64 rng(2);
  const Batch batch = IclLinearDataset(o, 1).sample("train", 4, rng);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
  model->train();
  const double initial = task.compute(batch).loss.item<double>();
  double loss = initial;
  for (int i = 0; i < 300; ++i) {
    adam.zero_grad();
    auto out = task.compute(batch);
    out.loss.backward();
    adam.step();
    loss = out.loss.item<double>();
  }
  // Predicting 0 everywhere would score mean(y^2); the fit ends far below it and far below the start.
  const double predict_zero = batch.at("ys").pow(2).mean().item<double>();
  CHECK(predict_zero > 0.5);
  CHECK(loss < 0.02 * predict_zero);
  CHECK(loss < 0.05 * initial);
}

TEST_CASE("CLI: train the tiny in-context regressor, eval draws error against k with the baselines") {
  TempDir dir;
  const std::string bin = ATTNLAB_BIN;
  auto trained = attnlab::testing::run_command(
      bin + " train " + ATTNLAB_SOURCE_DIR + "/configs/icl/linear_regression_tiny.yaml experiment.out_dir=" + dir.path(),
      dir);
  INFO(trained.out);
  REQUIRE(trained.status == 0);
  CHECK_THAT(trained.out, Contains("in-context linear regression | d = 3, 8 points per prompt"));
  auto eval = attnlab::testing::run_command(bin + " eval " + (dir / "icl_tiny"), dir);
  INFO(eval.out);
  REQUIRE(eval.status == 0);
  CHECK_THAT(eval.out, Contains("least squares") && Contains("3-nearest neighbours") && Contains("averaging"));
  const auto j = nlohmann::json::parse(attnlab::testing::read_text(dir / "icl_tiny/eval_val.json"));
  const auto& curves = j.at("curves");
  REQUIRE(curves.at("x").size() == 8);
  const auto lsq = curves.at("lines").at("least squares").get<std::vector<double>>();
  // k = 0: every baseline predicts 0, whose error E[(w.x)^2] / d is 1 on average.
  CHECK(lsq[0] == Approx(curves.at("lines").at("averaging")[0].get<double>()));
  CHECK(lsq[0] == Approx(curves.at("lines").at("3-nearest neighbours")[0].get<double>()));
  CHECK(lsq[0] > 0.3);
  CHECK(lsq[0] < 3.0);
  for (size_t k = 3; k < 8; ++k) CHECK(lsq[k] < 1e-6);  // k >= d: exact
  CHECK(curves.at("lines").at("transformer").size() == 8);
  CHECK(attnlab::testing::read_text(dir / "icl_tiny/eval_val.png").substr(1, 3) == "PNG");
  // The plot stops at 1.5 (averaging starts near d + 1); the table behind it keeps every value.
  CHECK_THAT(attnlab::testing::read_text(dir / "icl_tiny/eval_val.gp"), Contains("set yrange [0:1.5]"));
  CHECK_THAT(attnlab::testing::read_text(dir / "icl_tiny/eval_val.dat"), Contains("\"averaging\""));
  CHECK(j.at("nse").get<double>() > 0);
}

TEST_CASE("icl training resumes exactly, curriculum included: 6 steps + resume + 6 equals 12 straight") {
  TempDir dir;
  // The curriculum grows every 4 batches, so the resumed half must pick it up at its step.
  const std::vector<std::string> common = {"data.curriculum_every=4", "data.curriculum_dims=1",
                                           "data.curriculum_points=2"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  auto straight = train_tiny(dir, with({"trainer.max_iters=12", "experiment.name=straight"}));
  auto first = train_tiny(dir, with({"trainer.max_iters=6", "experiment.name=split"}));
  REQUIRE(first.step == 6);
  REQUIRE(attnlab::testing::resume_run(first, 12).step == 12);
  CHECK(attnlab::testing::max_param_diff(straight.run_dir, first.run_dir) == 0.0);
}
