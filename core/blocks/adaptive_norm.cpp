#include "core/blocks/adaptive_norm.h"

namespace attnlab {

AdaLNModulationImpl::AdaLNModulationImpl(const AdaLNModulationOptions& o) : options(o) {
  TORCH_CHECK(o.condition_dims() > 0 && o.n_embd() > 0 && o.chunks() > 0, "adaLN modulation needs positive sizes");
  linear = register_module("linear", torch::nn::Linear(o.condition_dims(), o.chunks() * o.n_embd()));
  torch::NoGradGuard no_grad;
  linear->weight.zero_();
  linear->bias.zero_();
}

std::vector<torch::Tensor> AdaLNModulationImpl::forward(const torch::Tensor& c) {
  TORCH_CHECK(c.dim() == 2 && c.size(1) == options.condition_dims(), "adaLN modulation expects a condition [B, ",
              options.condition_dims(), "], got ", c.sizes());
  return linear(torch::silu(c)).unsqueeze(1).chunk(options.chunks(), -1);
}

}  // namespace attnlab
