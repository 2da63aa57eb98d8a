// ALiBi (Press, Smith & Lewis 2022): no position embedding; each head adds -slope * distance
// to its attention scores. Slopes are the paper's geometric sequence 2^(-8/n), 2^(-16/n), ...
// (for n heads not a power of two: those of the nearest lower power, then every other slope
// of the next power). Bidirectional attention uses |i - j|, causal attention the same (the
// future is masked anyway).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace attnlab {

std::vector<double> alibi_slopes(int64_t n_head);

// Bias [nh, T, S] = -slopes[h] * |q_positions[t] - k_positions[s]|; slopes: [nh] float.
torch::Tensor alibi_bias(const torch::Tensor& slopes, const torch::Tensor& q_positions,
                         const torch::Tensor& k_positions);

}  // namespace attnlab
