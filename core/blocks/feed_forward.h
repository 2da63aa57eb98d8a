// Position-wise feed-forward network: Linear(C, H) -> activation -> Linear(H, C) -> dropout,
// H = mlp_ratio * C. With activation "swiglu" (Shazeer 2020, as in LLaMA) the first Linear
// gives two halves, silu(gate) * value, and H is 2/3 of mlp_ratio * C rounded up to a
// multiple of 8, so that the parameter count stays that of the two-matrix network.
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/blocks/dropout.h"

namespace attnlab {

struct FeedForwardOptions {
  explicit FeedForwardOptions(int64_t n_embd) : n_embd_(n_embd) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, mlp_ratio) = 4;            // hidden width = mlp_ratio * n_embd (2/3 of it for swiglu)
  TORCH_ARG(std::string, activation) = "gelu";  // "gelu" (exact, as nanoGPT), "relu" or "swiglu"
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(double, dropout) = 0.0;


 public:
  int64_t hidden() const;  // H
};

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const FeedForwardOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  FeedForwardOptions options;
  torch::nn::Linear c_fc{nullptr};    // C -> H (swiglu: C -> 2H, gate rows first)
  torch::nn::Linear c_proj{nullptr};  // H -> C
  Dropout dropout{nullptr};
};
TORCH_MODULE(FeedForward);

}  // namespace attnlab
