// The GPT-2/BERT weight initialisation shared by every model in the zoo.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// N(0, 0.02) for every matrix (embeddings included), zero biases, LayerNorm gains left at 1.
// With n_layer > 0 the projections that write into the residual stream (`c_proj`) get
// std 0.02 / sqrt(2 * n_layer) instead (GPT-2 paper); n_layer = 0 skips that scaling (BERT).
// Tensors under an `adaLN_modulation` module are zeroed (adaLN-Zero: core/blocks/adaptive_norm.h).
void init_transformer_weights(torch::nn::Module& module, int64_t n_layer);

}  // namespace attnlab
