// The Fréchet distance between two Gaussians fitted to feature sets (Heusel et al. 2017's FID
// formula, Dowson & Landau 1982): |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2).
// attnlab applies it to a trained classifier's features, not Inception's: its values are
// comparable between runs judged by the same classifier, never with published FIDs.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// a [N, D], b [M, D] (N, M >= 2): the distance between N(mean(a), cov(a)) and N(mean(b),
// cov(b)), covariances unbiased (divided by N - 1), computed in double precision.
double frechet_distance(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace attnlab
