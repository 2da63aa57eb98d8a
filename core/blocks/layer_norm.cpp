#include "core/blocks/layer_norm.h"

namespace attnlab {

LayerNormImpl::LayerNormImpl(const LayerNormOptions& options_) : options(options_) {
  TORCH_CHECK(options.kind() == "layernorm" || options.kind() == "rmsnorm",
              "norm must be 'layernorm' or 'rmsnorm', got '", options.kind(), "'");
  weight = register_parameter("weight", torch::ones({options.n_embd()}));
  if (options.bias() && options.kind() == "layernorm") bias = register_parameter("bias", torch::zeros({options.n_embd()}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& input) {
  // Statistics in the weight's precision: under bf16 autocast a norm may receive bf16 (e.g.
  // BERT's masked-LM head, QK-norm), which LibTorch 1.13's CPU autocast leaves to layer_norm,
  // whose kernel refuses a bf16 input with float32 weights.
  const auto x = input.scalar_type() == weight.scalar_type() ? input : input.to(weight.scalar_type());
  if (options.kind() == "rmsnorm") return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + options.eps()) * weight;
  return torch::layer_norm(x, {options.n_embd()}, weight, bias, options.eps());
}

}  // namespace attnlab
