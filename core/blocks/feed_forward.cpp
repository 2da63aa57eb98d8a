#include "core/blocks/feed_forward.h"

namespace attnlab {

FeedForwardImpl::FeedForwardImpl(const FeedForwardOptions& options_) : options(options_) {
  TORCH_CHECK(options.activation() == "gelu" || options.activation() == "relu",
              "activation must be 'gelu' or 'relu', got '", options.activation(), "'");
  const int64_t C = options.n_embd(), H = options.mlp_ratio() * options.n_embd();
  c_fc = register_module("c_fc", torch::nn::Linear(torch::nn::LinearOptions(C, H).bias(options.bias())));
  c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(H, C).bias(options.bias())));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  auto h = c_fc(x);
  h = options.activation() == "gelu" ? torch::gelu(h) : torch::relu(h);
  return dropout(c_proj(h));
}

}  // namespace attnlab
