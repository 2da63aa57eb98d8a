#include "models/icl_baselines.h"

namespace attnlab {

namespace {

// Runs `predict(X [B, k, d], Y [B, k], x [B, d]) -> [B]` for every k >= 1, in float64.
template <typename Predict>
torch::Tensor for_each_prefix(const torch::Tensor& xs, const torch::Tensor& ys, Predict predict) {
  torch::NoGradGuard no_grad;
  const auto x = xs.to(torch::kDouble), y = ys.to(torch::kDouble);
  std::vector<torch::Tensor> out{torch::zeros({x.size(0)}, x.options())};
  for (int64_t k = 1; k < x.size(1); ++k) out.push_back(predict(x.narrow(1, 0, k), y.narrow(1, 0, k), x.select(1, k)));
  return torch::stack(out, 1).to(ys.scalar_type());
}

}  // namespace

torch::Tensor least_squares_predictions(const torch::Tensor& xs, const torch::Tensor& ys) {
  return for_each_prefix(xs, ys, [](const torch::Tensor& X, const torch::Tensor& Y, const torch::Tensor& x) {
    const auto w = torch::matmul(torch::linalg_pinv(X), Y.unsqueeze(-1)).squeeze(-1);  // [B, d]
    return (x * w).sum(-1);
  });
}

torch::Tensor nearest_neighbour_predictions(const torch::Tensor& xs, const torch::Tensor& ys, int64_t neighbours) {
  return for_each_prefix(xs, ys, [neighbours](const torch::Tensor& X, const torch::Tensor& Y, const torch::Tensor& x) {
    const auto distance = (X - x.unsqueeze(1)).pow(2).sum(-1);  // [B, k]
    const int64_t n = std::min(neighbours, X.size(1));
    const auto nearest = std::get<1>(distance.topk(n, -1, /*largest=*/false));
    return Y.gather(1, nearest).mean(-1);
  });
}

torch::Tensor averaging_predictions(const torch::Tensor& xs, const torch::Tensor& ys) {
  return for_each_prefix(xs, ys, [](const torch::Tensor& X, const torch::Tensor& Y, const torch::Tensor& x) {
    const auto w = (X * Y.unsqueeze(-1)).mean(1);  // [B, d]
    return (x * w).sum(-1);
  });
}

}  // namespace attnlab
