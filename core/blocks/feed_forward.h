// Position-wise feed-forward network: Linear(C, ratio*C) -> activation -> Linear(ratio*C, C) -> dropout.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

struct FeedForwardOptions {
  explicit FeedForwardOptions(int64_t n_embd) : n_embd_(n_embd) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, mlp_ratio) = 4;            // hidden width = mlp_ratio * n_embd
  TORCH_ARG(std::string, activation) = "gelu";  // "gelu" (exact, as nanoGPT) or "relu"
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(double, dropout) = 0.0;
};

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const FeedForwardOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  FeedForwardOptions options;
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(FeedForward);

}  // namespace attnlab
