#include "core/metrics/frechet_distance.h"

namespace attnlab {

namespace {

// The square root of a symmetric positive semi-definite matrix, by its eigendecomposition
// (eigenvalues rounded below zero clamped to zero).
torch::Tensor psd_sqrt(const torch::Tensor& m) {
  auto [values, vectors] = torch::linalg_eigh(m, "L");
  return vectors.matmul(torch::diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
}

}  // namespace

double frechet_distance(const torch::Tensor& a_in, const torch::Tensor& b_in) {
  TORCH_CHECK(a_in.dim() == 2 && b_in.dim() == 2 && a_in.size(1) == b_in.size(1) && a_in.size(0) >= 2 &&
                  b_in.size(0) >= 2,
              "frechet_distance expects two feature sets [N, D] and [M, D] with N, M >= 2, got ", a_in.sizes(), " and ",
              b_in.sizes());
  const auto a = a_in.to(torch::kCPU, torch::kDouble), b = b_in.to(torch::kCPU, torch::kDouble);
  const auto mu_a = a.mean(0), mu_b = b.mean(0);
  // torch::cov reads rows as variables, and gives a 0-d tensor for one variable: [D, D] always.
  const int64_t D = a.size(1);
  const auto s_a = torch::cov(a.t()).reshape({D, D}), s_b = torch::cov(b.t()).reshape({D, D});
  // tr((S_a S_b)^1/2) = tr((S_a^1/2 S_b S_a^1/2)^1/2): the sum of the square roots of the
  // eigenvalues of a symmetric matrix, which eigvalsh computes stably.
  const auto root_a = psd_sqrt(s_a);
  const auto middle = root_a.matmul(s_b).matmul(root_a);
  const auto cross = torch::linalg_eigvalsh((middle + middle.t()) / 2, "L").clamp_min(0).sqrt().sum();
  return ((mu_a - mu_b).pow(2).sum() + s_a.trace() + s_b.trace() - 2 * cross).item<double>();
}

}  // namespace attnlab
