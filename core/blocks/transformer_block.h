// The transformer block every model is made of. Encoder form: self-attention + feed-forward
// (causal for GPT, bidirectional for BERT/ViT). Decoder form adds cross-attention to a memory.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/blocks/adaptive_norm.h"
#include "core/blocks/attention.h"
#include "core/blocks/feed_forward.h"
#include "core/blocks/layer_norm.h"

namespace attnlab {

struct TransformerBlockOptions {
  TransformerBlockOptions(int64_t n_embd, int64_t n_head) : n_embd_(n_embd), n_head_(n_head) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, n_head);
  TORCH_ARG(int64_t, mlp_ratio) = 4;
  TORCH_ARG(std::string, activation) = "gelu";
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(std::string, norm_position) = "pre";  // "pre" (GPT-2) or "post" (original Transformer, BERT)
  TORCH_ARG(bool, causal) = false;                // self-attention sees only the past
  TORCH_ARG(bool, cross_attention) = false;       // decoder form: attend to an encoder memory
  TORCH_ARG(std::string, norm) = "layernorm";     // "layernorm" | "rmsnorm" (every norm of the block)
  TORCH_ARG(int64_t, n_kv_head) = 0;              // grouped-query attention; 0 = n_head
  TORCH_ARG(bool, qk_norm) = false;
  TORCH_ARG(std::string, positions) = "none";     // in self-attention: "rope" | "alibi" | "none"
  TORCH_ARG(int64_t, window) = 0;                 // self-attention's sliding window (0 = every position)
  // adaLN-Zero (core/blocks/adaptive_norm.h): > 0 = the block takes a condition vector of this
  // many numbers, which sets its norms' shift and scale and gates each sublayer's output
  // (pre-norm, encoder form only); its norms then have no weights of their own.
  TORCH_ARG(int64_t, condition_dims) = 0;
};

// A decoder block's caches for incremental decoding (see AttentionCache).
struct BlockCache {
  AttentionCache self, cross;
  void select_rows(const torch::Tensor& rows) { self.select_rows(rows), cross.select_rows(rows); }
};

// The caches of a stack of decoder blocks (a GPT, a translator's decoder) while it decodes one
// token at a time: `length` positions so far.
struct DecoderCache {
  std::vector<BlockCache> blocks;
  int64_t length = 0;
  explicit DecoderCache(size_t n_blocks = 0) : blocks(n_blocks) {}
  void select_rows(const torch::Tensor& rows) {
    for (auto& b : blocks) b.select_rows(rows);
  }
};

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerBlockOptions& options);

  // x: [B, T, C]; memory: [B, S, C] (decoder form only); masks: [B, T] / [B, S] bool, true = padding.
  // cache: incremental decoding, x holds only the positions after the cached ones.
  // condition: [B, condition_dims], required exactly when options.condition_dims() > 0.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& memory = {},
                        const torch::Tensor& padding_mask = {}, const torch::Tensor& memory_padding_mask = {},
                        BlockCache* cache = nullptr, const torch::Tensor& condition = {});

  // Transformer-XL (Dai et al. 2019): a cache holding the keys and values of `context`
  // [B, M, C], this block's inputs at the M positions before x (the previous segments',
  // detached by the caller), as if they had been decoded. forward(x, ..., &cache) then attends
  // over them and x's own causal positions, x [B, T, C] sitting at positions M..M+T-1, a token
  // or a segment at a time. Encoder form only; an empty context gives an empty cache.
  BlockCache context_cache(const torch::Tensor& context);

  TransformerBlockOptions options;
  LayerNorm ln_1{nullptr}, ln_cross{nullptr}, ln_2{nullptr};
  MultiHeadAttention attn{nullptr}, cross_attn{nullptr};
  FeedForward mlp{nullptr};
  AdaLNModulation adaLN_modulation{nullptr};  // condition_dims > 0 only
};
TORCH_MODULE(TransformerBlock);

}  // namespace attnlab
