// The classical estimators an in-context regressor is compared with (Garg et al. 2022), on the
// same prompts: each predicts y_k from the k pairs before it, for every position k of every
// prompt. xs [B, P, d], ys [B, P] -> predictions [B, P]; position 0 (no pair yet) predicts 0.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// Least squares: x_k · w, w the minimum-norm solution of X w = y over the k pairs
// (the exact w once k >= d and the pairs span the space, without noise).
torch::Tensor least_squares_predictions(const torch::Tensor& xs, const torch::Tensor& ys);

// The mean y of the `neighbours` pairs whose x is nearest x_k (all k pairs while k < neighbours).
torch::Tensor nearest_neighbour_predictions(const torch::Tensor& xs, const torch::Tensor& ys, int64_t neighbours = 3);

// Averaging: x_k · w with w = (1/k) Σ y_i x_i (unbiased for w when x ~ N(0, I)).
torch::Tensor averaging_predictions(const torch::Tensor& xs, const torch::Tensor& ys);

}  // namespace attnlab
