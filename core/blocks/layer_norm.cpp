#include "core/blocks/layer_norm.h"

namespace attnlab {

LayerNormImpl::LayerNormImpl(const LayerNormOptions& options_) : options(options_) {
  TORCH_CHECK(options.kind() == "layernorm" || options.kind() == "rmsnorm",
              "norm must be 'layernorm' or 'rmsnorm', got '", options.kind(), "'");
  if (!options.affine()) return;
  weight = register_parameter("weight", torch::ones({options.n_embd()}));
  if (options.bias() && options.kind() == "layernorm") bias = register_parameter("bias", torch::zeros({options.n_embd()}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& input) {
  // Statistics in the weight's precision: under bf16 autocast a norm may receive bf16 (e.g.
  // BERT's masked-LM head, QK-norm), which LibTorch 1.13's CPU autocast leaves to layer_norm,
  // whose kernel refuses a bf16 input with float32 weights.
  const auto dtype = weight.defined() ? weight.scalar_type() : torch::kFloat;
  const auto x = input.scalar_type() == dtype ? input : input.to(dtype);
  if (options.kind() == "rmsnorm") {
    auto y = x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + options.eps());
    return weight.defined() ? y * weight : y;
  }
  return torch::layer_norm(x, {options.n_embd()}, weight, bias, options.eps());
}

}  // namespace attnlab
