// Dropout, as torch::nn::Dropout (inverted: kept values scaled by 1 / (1 - p); the identity in
// eval mode or at p = 0), with a fast mask on the CPU. LibTorch 1.13's CPU bernoulli_ draws
// one number at a time from a locked Mersenne Twister: 16% of a training step of the 10.7M
// GPT here. This mask comes from a counter-based generator (SplitMix64 of a 64-bit seed plus
// the element index), in parallel: seeded from LibTorch's CPU generator, so a config's seed
// fixes it and a checkpoint's RNG state resumes it, and the same at any thread count. As
// LibTorch's, the mask (0 or 1 / (1 - p), in x's dtype) is kept for the backward pass.
// On CUDA it is LibTorch's own fused dropout.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// x with each element zeroed with probability p and the rest scaled by 1 / (1 - p),
// differentiable; `seed` fixes the mask.
torch::Tensor fast_dropout(const torch::Tensor& x, double p, uint64_t seed);

class DropoutImpl : public torch::nn::Module {
 public:
  explicit DropoutImpl(double p = 0.5);
  torch::Tensor forward(const torch::Tensor& x);
  double p;
};
TORCH_MODULE(Dropout);

}  // namespace attnlab
