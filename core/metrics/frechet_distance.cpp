#include "core/metrics/frechet_distance.h"

namespace attnlab {

namespace {

torch::Tensor covariance(const torch::Tensor& x, const torch::Tensor& mean) {
  const auto centred = x - mean;
  return centred.t().matmul(centred) / static_cast<double>(x.size(0) - 1);
}

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
  const auto s_a = covariance(a, mu_a), s_b = covariance(b, mu_b);
  // tr((S_a S_b)^1/2) = tr((S_a^1/2 S_b S_a^1/2)^1/2): the sum of the square roots of the
  // eigenvalues of a symmetric matrix, which eigvalsh computes stably.
  const auto root_a = psd_sqrt(s_a);
  const auto middle = root_a.matmul(s_b).matmul(root_a);
  const auto cross = torch::linalg_eigvalsh((middle + middle.t()) / 2, "L").clamp_min(0).sqrt().sum();
  return ((mu_a - mu_b).pow(2).sum() + s_a.trace() + s_b.trace() - 2 * cross).item<double>();
}

}  // namespace attnlab
