// Rotary position embedding (Su et al. 2021, RoFormer), applied to queries and keys inside
// attention: the pair (x_i, x_{i + d/2}) of a head at position p is rotated by the angle
// p * base^(-2i/d) (GPT-NeoX's half-split layout), so that q_m . k_n depends only on m - n.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// base^(-2i/d) for i < d/2: [d/2] (register it as a buffer so an export keeps it).
torch::Tensor rope_inverse_frequencies(int64_t head_dim, double base = 10000.0);

// The rotation's cos and sin [T, d/2] at positions [T] (int64), in `dtype`: computed once for
// the queries and the keys of a layer (decoding a token is bound by the number of operators).
struct RopeAngles {
  torch::Tensor cos, sin;
};
RopeAngles rope_angles(const torch::Tensor& positions, const torch::Tensor& inv_freq, torch::ScalarType dtype);

// x: [B, nh, T, d] rotated at positions [T] (int64), computed shape-generically.
torch::Tensor apply_rope(const torch::Tensor& x, const RopeAngles& angles);
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, const torch::Tensor& inv_freq);

}  // namespace attnlab
