#include "core/blocks/feed_forward.h"

namespace attnlab {

int64_t FeedForwardOptions::hidden() const {
  const int64_t h = mlp_ratio() * n_embd();
  if (activation() != "swiglu") return h;
  return (2 * h / 3 + 7) / 8 * 8;
}

FeedForwardImpl::FeedForwardImpl(const FeedForwardOptions& options_) : options(options_) {
  const std::string& a = options.activation();
  TORCH_CHECK(a == "gelu" || a == "relu" || a == "swiglu", "activation must be 'gelu', 'relu' or 'swiglu', got '", a,
              "'");
  const int64_t C = options.n_embd(), H = options.hidden();
  const int64_t fc_out = a == "swiglu" ? 2 * H : H;
  c_fc = register_module("c_fc", torch::nn::Linear(torch::nn::LinearOptions(C, fc_out).bias(options.bias())));
  c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(H, C).bias(options.bias())));
  dropout = register_module("dropout", Dropout(options.dropout()));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  auto h = c_fc(x);
  const std::string& a = options.activation();
  if (a == "swiglu") {
    auto gate_value = h.chunk(2, -1);
    h = torch::silu(gate_value[0]) * gate_value[1];
  } else {
    h = a == "gelu" ? torch::gelu(h) : torch::relu(h);
  }
  return dropout(c_proj(h));
}

}  // namespace attnlab
