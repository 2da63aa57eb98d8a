// Rotary position embedding (Su et al. 2021, RoFormer), applied to queries and keys inside
// attention: the pair (x_i, x_{i + d/2}) of a head at position p is rotated by the angle
// p * base^(-2i/d) (GPT-NeoX's half-split layout), so that q_m . k_n depends only on m - n.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// base^(-2i/d) for i < d/2: [d/2] (register it as a buffer so an export keeps it).
torch::Tensor rope_inverse_frequencies(int64_t head_dim, double base = 10000.0);

// x: [B, nh, T, d] rotated at positions [T] (int64), computed shape-generically.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, const torch::Tensor& inv_freq);

}  // namespace attnlab
