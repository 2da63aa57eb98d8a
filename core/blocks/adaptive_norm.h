// Adaptive LayerNorm with zero-initialised gates (adaLN-Zero, Peebles & Xie 2023, "Scalable
// Diffusion Models with Transformers", section 3.2): a conditioning vector c (a diffusion
// timestep and class, say) sets each sublayer's shift, scale and gate instead of learned
// constants. The modulation starts at zero, so a fresh conditioned block is the identity.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace attnlab {

struct AdaLNModulationOptions {
  AdaLNModulationOptions(int64_t condition_dims, int64_t n_embd, int64_t chunks)
      : condition_dims_(condition_dims), n_embd_(n_embd), chunks_(chunks) {}
  TORCH_ARG(int64_t, condition_dims);
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, chunks);  // vectors produced: 6 in a block (shift, scale, gate twice), 2 in DiT's final layer
};

// c [B, condition_dims] -> `chunks` vectors [B, 1, n_embd] (to broadcast over the tokens),
// through SiLU then one Linear whose weight and bias start at zero (and stay zero through
// init_transformer_weights, which knows the name "adaLN_modulation").
class AdaLNModulationImpl : public torch::nn::Module {
 public:
  explicit AdaLNModulationImpl(const AdaLNModulationOptions& options);
  std::vector<torch::Tensor> forward(const torch::Tensor& c);

  AdaLNModulationOptions options;
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(AdaLNModulation);

// x * (1 + scale) + shift: with zero scale and shift, x itself.
inline torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale) {
  return x * (1 + scale) + shift;
}

}  // namespace attnlab
