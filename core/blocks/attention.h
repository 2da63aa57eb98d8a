// Multi-head scaled dot-product attention: causal self-attention (GPT), bidirectional
// self-attention with a key-padding mask (BERT, ViT, encoders) and cross-attention (decoders).
// Variants: grouped-query / multi-query attention (n_kv_head < n_head key/value heads, each
// shared by n_head / n_kv_head query heads), QK-norm (queries and keys normalised per head),
// positions inside self-attention: RoPE (rotated q, k) or ALiBi (a distance bias), and a
// sliding window (core/blocks/window_attention.h: each query sees only its last W positions).
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/blocks/dropout.h"
#include "core/blocks/layer_norm.h"

namespace attnlab {

struct MultiHeadAttentionOptions {
  MultiHeadAttentionOptions(int64_t n_embd, int64_t n_head) : n_embd_(n_embd), n_head_(n_head) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, n_head);
  TORCH_ARG(bool, bias) = true;      // biases on the input and output projections
  TORCH_ARG(double, dropout) = 0.0;  // on attention weights and on the output (residual) projection
  TORCH_ARG(bool, causal) = false;   // position t attends to positions <= t only
  TORCH_ARG(int64_t, n_kv_head) = 0;  // key/value heads; 0 = n_head (plain multi-head), 1 = multi-query
  TORCH_ARG(bool, qk_norm) = false;   // normalise queries and keys per head (norm: its kind)
  TORCH_ARG(std::string, norm) = "layernorm";
  // Self-attention only (cross-attention has no positions to relate): "rope", "alibi" or "none".
  TORCH_ARG(std::string, positions) = "none";
  // Self-attention only: 0 = every position; W >= 1 = a causal query sees its last W positions
  // (itself included), a bidirectional one those with |i - j| < W, computed at O(T * W).
  TORCH_ARG(int64_t, window) = 0;

 public:
  int64_t kv_heads() const { return n_kv_head_ > 0 ? n_kv_head_ : n_head_; }
};

// Keys and values kept between calls for incremental decoding, one token at a time: a
// self-attention cache grows by the new positions each call (with a window W, it keeps only
// the last W - 1: a rolling buffer, exact because no query sees further back); a
// cross-attention cache is filled from the memory once and reused. Beam search reorders it
// with select_rows().
struct AttentionCache {
  torch::Tensor k, v;  // [B, n_kv_head, S, hd] (RoPE already applied); undefined until the first call
  int64_t positions = 0;  // self-attention: positions seen so far (S, or more once the window rolls)
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

  // Self-attention's keys and values of h [B, M, C] (positions 0..M-1) as a cache, without
  // computing h's own outputs: the context that a forward with this cache then attends to
  // besides its own positions (Transformer-XL's memory, Dai et al. 2019).
  AttentionCache prefill(const torch::Tensor& h);

  MultiHeadAttentionOptions options;
  // q, k and v projections in one matrix [C + 2 * n_kv_head * hd, C] (rows: q, k, v): one
  // matmul for self-attention; cross-attention applies its q rows to x, its k, v rows to memory.
  torch::nn::Linear c_attn{nullptr};
  torch::nn::Linear c_proj{nullptr};  // output projection
  Dropout attn_dropout{nullptr}, resid_dropout{nullptr};
  LayerNorm q_norm{nullptr}, k_norm{nullptr};  // qk_norm only, over the head size
  torch::Tensor rope_inv_freq;                 // positions "rope": buffer [hd / 2]
  torch::Tensor alibi_slopes;                  // positions "alibi": buffer [n_head]

  // Inspection (attention maps, core/blocks/attention_rollout.h): while keep_attention is set,
  // each forward leaves its attention weights [B, nh, T, S] (after the softmax, before
  // dropout) in last_attention. Off by default, so training keeps no extra tensor.
  bool keep_attention = false;
  torch::Tensor last_attention;
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace attnlab
