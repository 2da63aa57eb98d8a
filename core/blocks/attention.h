// Multi-head scaled dot-product attention: causal self-attention (GPT), bidirectional
// self-attention with a key-padding mask (BERT, ViT, encoders) and cross-attention (decoders).
#pragma once

#include <torch/torch.h>

namespace attnlab {

struct MultiHeadAttentionOptions {
  MultiHeadAttentionOptions(int64_t n_embd, int64_t n_head) : n_embd_(n_embd), n_head_(n_head) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, n_head);
  TORCH_ARG(bool, bias) = true;      // biases on the input and output projections
  TORCH_ARG(double, dropout) = 0.0;  // on attention weights and on the output (residual) projection
  TORCH_ARG(bool, causal) = false;   // position t attends to positions <= t only
};

// Keys and values kept between calls for incremental decoding, one token at a time: a
// self-attention cache grows by the new positions each call; a cross-attention cache is
// filled from the memory once and reused. Beam search reorders it with select_rows().
struct AttentionCache {
  torch::Tensor k, v;  // [B, nh, S, hd]; undefined until the first call
  void select_rows(const torch::Tensor& rows) {
    if (k.defined()) k = k.index_select(0, rows), v = v.index_select(0, rows);
  }
};

class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  explicit MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options);

  // x: [B, T, C]. memory: [B, S, C] for cross-attention (keys and values come from it),
  // undefined for self-attention. key_padding_mask: [B, S] bool, true = ignore that key.
  // cache: incremental decoding (see AttentionCache); x then holds only the new positions,
  // which come after the cached ones. Returns [B, T, C].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& memory = {},
                        const torch::Tensor& key_padding_mask = {}, AttentionCache* cache = nullptr);

  MultiHeadAttentionOptions options;
  // q, k and v projections in one matrix [3C, C]: one matmul for self-attention;
  // cross-attention applies its q rows to x and its k, v rows to memory.
  torch::nn::Linear c_attn{nullptr};
  torch::nn::Linear c_proj{nullptr};  // output projection
  torch::nn::Dropout attn_dropout{nullptr}, resid_dropout{nullptr};

  // Inspection (attention maps, core/blocks/attention_rollout.h): while keep_attention is set,
  // each forward leaves its attention weights [B, nh, T, S] (after the softmax, before
  // dropout) in last_attention. Off by default, so training keeps no extra tensor.
  bool keep_attention = false;
  torch::Tensor last_attention;
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace attnlab
