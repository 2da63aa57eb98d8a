#include "core/blocks/rope.h"

namespace attnlab {

torch::Tensor rope_inverse_frequencies(int64_t head_dim, double base) {
  TORCH_CHECK(head_dim % 2 == 0, "rope needs an even head size (n_embd / n_head), got ", head_dim);
  auto i = torch::arange(0, head_dim, 2, torch::kDouble);
  return torch::pow(base, -i / static_cast<double>(head_dim)).to(torch::kFloat);
}

RopeAngles rope_angles(const torch::Tensor& positions, const torch::Tensor& inv_freq, torch::ScalarType dtype) {
  auto angle = positions.to(inv_freq.dtype()).unsqueeze(-1) * inv_freq;  // [T, d/2]
  return {torch::cos(angle).to(dtype), torch::sin(angle).to(dtype)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const RopeAngles& a) {
  auto halves = x.chunk(2, -1);  // x1 = [..., :d/2], x2 = [..., d/2:]
  return torch::cat({halves[0] * a.cos - halves[1] * a.sin, halves[1] * a.cos + halves[0] * a.sin}, -1);
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, const torch::Tensor& inv_freq) {
  return apply_rope(x, rope_angles(positions, inv_freq, x.scalar_type()));
}

}  // namespace attnlab
