// The normalisation every block uses: LayerNorm with an optional bias (PyTorch's LayerNorm
// always has one; nanoGPT's bias=False needs this), or RMSNorm (Zhang & Sennrich 2019:
// x / sqrt(mean(x^2) + eps) * weight, no mean subtraction and no bias), chosen by `kind`.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

struct LayerNormOptions {
  explicit LayerNormOptions(int64_t n_embd) : n_embd_(n_embd) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(bool, bias) = true;  // layernorm only: RMSNorm has no bias
  TORCH_ARG(double, eps) = 1e-5;
  TORCH_ARG(std::string, kind) = "layernorm";  // "layernorm" | "rmsnorm"
  // false: no weight and no bias of its own, for a norm whose scale and shift come from
  // elsewhere (adaLN's modulation, core/blocks/adaptive_norm.h).
  TORCH_ARG(bool, affine) = true;
};

class LayerNormImpl : public torch::nn::Module {
 public:
  explicit LayerNormImpl(const LayerNormOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // normalises the last dimension

  LayerNormOptions options;
  torch::Tensor weight, bias;  // bias undefined without options.bias() and for rmsnorm; both without affine
};
TORCH_MODULE(LayerNorm);

}  // namespace attnlab
