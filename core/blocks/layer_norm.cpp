#include "core/blocks/layer_norm.h"

namespace attnlab {

LayerNormImpl::LayerNormImpl(const LayerNormOptions& options_) : options(options_) {
  weight = register_parameter("weight", torch::ones({options.n_embd()}));
  if (options.bias()) bias = register_parameter("bias", torch::zeros({options.n_embd()}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {options.n_embd()}, weight, bias, options.eps());
}

}  // namespace attnlab
