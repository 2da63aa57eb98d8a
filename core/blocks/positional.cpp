#include "core/blocks/positional.h"

#include <cmath>

namespace attnlab {

torch::Tensor positions_like(const torch::Tensor& x) {
  auto t = x.select(0, 0);
  while (t.dim() > 1) t = t.select(-1, 0);  // loops over rank, not over sizes
  return torch::ones_like(t, torch::kLong).cumsum(0) - 1;
}

torch::Tensor sinusoidal_table(int64_t max_len, int64_t n_embd) {
  auto pos = torch::arange(max_len, torch::kDouble).unsqueeze(1);            // [L, 1]
  auto two_i = torch::arange(0, n_embd, 2, torch::kDouble);                   // [ceil(d/2)]
  auto angle = pos * torch::exp(two_i * (-std::log(10000.0) / n_embd));       // [L, ceil(d/2)]
  auto pe = torch::zeros({max_len, n_embd}, torch::kDouble);
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}, torch::sin(angle));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(angle).narrow(1, 0, n_embd / 2));
  return pe.to(torch::kFloat);
}

PositionalEncodingImpl::PositionalEncodingImpl(const PositionalEncodingOptions& options_) : options(options_) {
  if (options.kind() == "learned") {
    weight = register_parameter("weight", torch::empty({options.max_len(), options.n_embd()}));
    torch::nn::init::normal_(weight, 0.0, 0.02);
  } else if (options.kind() == "sinusoidal") {
    weight = register_buffer("pe", sinusoidal_table(options.max_len(), options.n_embd()));
  } else {
    TORCH_CHECK(options.kind() == "rope" || options.kind() == "alibi" || options.kind() == "none",
                "positional encoding must be 'learned', 'sinusoidal', 'rope', 'alibi' or 'none', got '",
                options.kind(), "'");
  }
}

torch::Tensor PositionalEncodingImpl::forward(const torch::Tensor& positions) {
  TORCH_CHECK(additive(), "positional encoding '", options.kind(), "' has no table to look up");
  return weight.index_select(0, positions);
}

torch::Tensor PositionalEncodingImpl::apply(const torch::Tensor& x, const torch::Tensor& positions) {
  return additive() ? x + forward(positions) : x;
}

}  // namespace attnlab
