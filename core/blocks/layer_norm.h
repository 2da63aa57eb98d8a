// LayerNorm with an optional bias (PyTorch's LayerNorm always has one; nanoGPT's bias=False needs this).
#pragma once

#include <torch/torch.h>

namespace attnlab {

struct LayerNormOptions {
  explicit LayerNormOptions(int64_t n_embd) : n_embd_(n_embd) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(double, eps) = 1e-5;
};

class LayerNormImpl : public torch::nn::Module {
 public:
  explicit LayerNormImpl(const LayerNormOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  LayerNormOptions options;
  torch::Tensor weight, bias;  // bias undefined when options.bias() is false
};
TORCH_MODULE(LayerNorm);

}  // namespace attnlab
