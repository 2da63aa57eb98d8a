#include "core/blocks/attention.h"

#include <cmath>
#include <limits>

namespace attnlab {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options_) : options(options_) {
  TORCH_CHECK(options.n_embd() % options.n_head() == 0, "n_embd (", options.n_embd(),
              ") must be divisible by n_head (", options.n_head(), ")");
  const int64_t C = options.n_embd();
  c_attn = register_module("c_attn", torch::nn::Linear(torch::nn::LinearOptions(C, 3 * C).bias(options.bias())));
  c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(C, C).bias(options.bias())));
  attn_dropout = register_module("attn_dropout", torch::nn::Dropout(options.dropout()));
  resid_dropout = register_module("resid_dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                              const torch::Tensor& key_padding_mask, AttentionCache* cache) {
  const int64_t C = options.n_embd(), nh = options.n_head();
  // [B, T, C] -> [B, nh, T, hd]; sizes come from the tensors, never from C++ ints.
  auto split_heads = [nh](const torch::Tensor& t) { return t.unflatten(-1, {nh, -1}).transpose(1, 2); };
  torch::Tensor q, k, v;
  if (!memory.defined()) {
    auto qkv = c_attn(x).chunk(3, -1);
    q = split_heads(qkv[0]), k = split_heads(qkv[1]), v = split_heads(qkv[2]);
    if (cache && cache->k.defined()) {  // the new positions attend to the cached ones too
      k = torch::cat({cache->k, k}, 2), v = torch::cat({cache->v, v}, 2);
    }
    if (cache) cache->k = k, cache->v = v;
  } else {
    // Slicing the weight by the (constant) model width keeps the trace shape-generic.
    const auto& w = c_attn->weight;
    const auto& b = c_attn->bias;
    q = split_heads(torch::linear(x, w.narrow(0, 0, C), b.defined() ? b.narrow(0, 0, C) : b));
    if (cache && cache->k.defined()) {  // the memory does not change while decoding
      k = cache->k, v = cache->v;
    } else {
      auto kv = torch::linear(memory, w.narrow(0, C, 2 * C), b.defined() ? b.narrow(0, C, 2 * C) : b).chunk(2, -1);
      k = split_heads(kv[0]), v = split_heads(kv[1]);
      if (cache) cache->k = k, cache->v = v;
    }
  }

  const double scale = 1.0 / std::sqrt(static_cast<double>(C / nh));
  auto att = torch::matmul(q, k.transpose(-2, -1)) * scale;  // [B, nh, T, S]
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (options.causal()) {
    // Mask built from the scores themselves: [T, S], true where a key is in the query's
    // future. Without a cache S == T (the diagonal); with one the T queries are the last T.
    auto future = torch::ones_like(att.select(0, 0).select(0, 0), torch::kBool).triu(1 + att.size(-1) - att.size(-2));
    att = att.masked_fill(future, neg_inf);
  }
  if (key_padding_mask.defined()) att = att.masked_fill(key_padding_mask.unsqueeze(1).unsqueeze(2), neg_inf);
  att = torch::softmax(att, -1);
  if (keep_attention) last_attention = att.detach();
  att = attn_dropout(att);
  auto y = torch::matmul(att, v).transpose(1, 2).flatten(-2);  // [B, T, C]
  return resid_dropout(c_proj(y));
}

}  // namespace attnlab
