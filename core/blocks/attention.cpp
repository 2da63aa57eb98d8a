#include "core/blocks/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "core/blocks/alibi.h"
#include "core/blocks/positional.h"
#include "core/blocks/rope.h"
#include "core/blocks/window_attention.h"

namespace attnlab {

namespace {

// [B, T, n * hd] -> [B, n, T, hd]; sizes come from the tensors, never from C++ ints.
torch::Tensor split_heads(const torch::Tensor& t, int64_t n) { return t.unflatten(-1, {n, -1}).transpose(1, 2); }

// Keys and values [B, n_kv_head, S, hd] of h [B, S, C] through the k, v rows of c_attn (before
// k_norm and RoPE). Slicing the weight by the (constant) model width keeps a trace shape-generic.
std::pair<torch::Tensor, torch::Tensor> project_kv(const MultiHeadAttentionImpl& m, const torch::Tensor& h) {
  const int64_t C = m.options.n_embd(), kvh = m.options.kv_heads(), kvd = kvh * (C / m.options.n_head());
  const auto& w = m.c_attn->weight;
  const auto& b = m.c_attn->bias;
  auto kv = torch::linear(h, w.narrow(0, C, 2 * kvd), b.defined() ? b.narrow(0, C, 2 * kvd) : b).chunk(2, -1);
  return {split_heads(kv[0], kvh), split_heads(kv[1], kvh)};
}

// Stores self-attention's keys and values in the cache: all of them, or with a window only the
// last window - 1 (a rolling buffer: the next query sees no further back).
void keep_for_next_query(AttentionCache& cache, const torch::Tensor& k, const torch::Tensor& v, int64_t window) {
  const int64_t keep = window > 0 ? std::min(k.size(2), window - 1) : k.size(2);
  cache.k = k.narrow(2, k.size(2) - keep, keep), cache.v = v.narrow(2, v.size(2) - keep, keep);
}

}  // namespace

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options_) : options(options_) {
  const int64_t C = options.n_embd(), nh = options.n_head(), kvh = options.kv_heads();
  TORCH_CHECK(C % nh == 0, "n_embd (", C, ") must be divisible by n_head (", nh, ")");
  TORCH_CHECK(kvh >= 1 && nh % kvh == 0, "n_head (", nh, ") must be divisible by n_kv_head (", kvh, ")");
  const std::string& pos = options.positions();
  TORCH_CHECK(pos == "none" || pos == "rope" || pos == "alibi", "attention positions must be 'none', 'rope' or "
              "'alibi', got '", pos, "'");
  TORCH_CHECK(options.window() >= 0, "attention window must be >= 0 (0 = every position), got ", options.window());
  const int64_t hd = C / nh;
  c_attn = register_module("c_attn",
                           torch::nn::Linear(torch::nn::LinearOptions(C, C + 2 * kvh * hd).bias(options.bias())));
  c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(C, C).bias(options.bias())));
  attn_dropout = register_module("attn_dropout", Dropout(options.dropout()));
  resid_dropout = register_module("resid_dropout", Dropout(options.dropout()));
  if (options.qk_norm()) {
    auto norm = [&] { return LayerNorm(LayerNormOptions(hd).bias(options.bias()).kind(options.norm())); };
    q_norm = register_module("q_norm", norm());
    k_norm = register_module("k_norm", norm());
  }
  if (pos == "rope") rope_inv_freq = register_buffer("rope_inv_freq", rope_inverse_frequencies(hd));
  if (pos == "alibi") {
    const auto slopes = attnlab::alibi_slopes(nh);
    alibi_slopes = register_buffer("alibi_slopes", torch::tensor(slopes, torch::kDouble).to(torch::kFloat));
  }
}

AttentionCache MultiHeadAttentionImpl::prefill(const torch::Tensor& h) {
  auto [k, v] = project_kv(*this, h);
  if (k_norm) k = k_norm(k);
  if (rope_inv_freq.defined()) k = apply_rope(k, positions_like(h), rope_inv_freq);
  AttentionCache cache;
  keep_for_next_query(cache, k, v, options.window());
  cache.positions = h.size(1);
  return cache;
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                              const torch::Tensor& key_padding_mask, AttentionCache* cache) {
  const int64_t C = options.n_embd(), nh = options.n_head(), kvh = options.kv_heads();
  const int64_t kvd = kvh * (C / nh);  // width of the key (and of the value) projection
  const bool self = !memory.defined();
  const int64_t window = self ? options.window() : 0;
  // Cached decoding: x holds the positions after the cached ones (self-attention).
  const int64_t offset = self && cache ? cache->positions : 0;
  auto query_positions = [&] { return offset > 0 ? positions_like(x) + offset : positions_like(x); };
  int64_t key_start = offset;  // the position of the first key (earlier once a cache is prepended)
  torch::Tensor q, k, v;
  if (self) {
    auto qkv = c_attn(x).split({C, kvd, kvd}, -1);
    q = split_heads(qkv[0], nh), k = split_heads(qkv[1], kvh), v = split_heads(qkv[2], kvh);
    if (q_norm) q = q_norm(q), k = k_norm(k);
    if (rope_inv_freq.defined()) {
      const auto pos = query_positions();
      const RopeAngles angles = rope_angles(pos, rope_inv_freq, q.scalar_type());
      q = apply_rope(q, angles), k = apply_rope(k, angles);
    }
    if (cache && cache->k.defined()) {  // the new positions attend to the cached ones too
      key_start -= cache->k.size(2);
      k = torch::cat({cache->k, k}, 2), v = torch::cat({cache->v, v}, 2);
    }
    if (cache) {
      cache->positions += x.size(1);
      keep_for_next_query(*cache, k, v, window);
    }
  } else {
    // Slicing the weight by the (constant) model width keeps the trace shape-generic.
    const auto& w = c_attn->weight;
    const auto& b = c_attn->bias;
    q = split_heads(torch::linear(x, w.narrow(0, 0, C), b.defined() ? b.narrow(0, 0, C) : b), nh);
    if (q_norm) q = q_norm(q);
    if (cache && cache->k.defined()) {  // the memory does not change while decoding
      k = cache->k, v = cache->v;
    } else {
      std::tie(k, v) = project_kv(*this, memory);
      if (k_norm) k = k_norm(k);
      if (cache) cache->k = k, cache->v = v;
    }
  }
  if (kvh < nh) {  // each key/value head serves nh / kvh consecutive query heads
    k = k.repeat_interleave(nh / kvh, 1), v = v.repeat_interleave(nh / kvh, 1);
  }

  // Scaling q rather than the scores touches T * hd numbers instead of T * S; the masks below
  // then fill the fresh score tensor in place (no copy).
  const double scale = 1.0 / std::sqrt(static_cast<double>(C / nh));
  // A window without a cache: blockwise, O(T * W), at every length (so that an export, which
  // cannot branch on T, computes exactly what the model does). Cached decoding (a few queries)
  // and attention maps take the dense path below.
  if (window > 0 && !cache && !keep_attention) {
    auto y = window_attention(q * scale, k, v, window, options.causal(), key_padding_mask, alibi_slopes,
                              [this](const torch::Tensor& w) { return attn_dropout(w); });
    return resid_dropout(c_proj(y.transpose(1, 2).flatten(-2)));
  }
  auto att = torch::matmul(q * scale, k.transpose(-2, -1));  // [B, nh, T, S]
  const bool relative = alibi_slopes.defined() || window > 0;  // key positions needed
  const auto key_positions = relative ? positions_like(k.transpose(1, 2)) + key_start : torch::Tensor();
  if (self && alibi_slopes.defined())
    att = att + alibi_bias(alibi_slopes, query_positions(), key_positions).to(att.dtype());
  const double neg_inf = -std::numeric_limits<double>::infinity();
  // One new query over a rolling buffer of at most `window` keys sees them all: no mask to build
  // (decoding's common case, where building one costs as much as the attention).
  const bool sees_every_key = cache && x.size(1) == 1 && k.size(2) <= window;
  if (window > 0 && !sees_every_key) {
    // The window's mask, causality included; a query whose window holds only padding gets 0.
    auto masked = window_mask(query_positions(), key_positions, window, options.causal());
    if (key_padding_mask.defined()) masked = masked.logical_or(key_padding_mask.unsqueeze(1).unsqueeze(2));
    att = masked_softmax(att, masked);
  } else {
    if (options.causal() && !(cache && x.size(1) == 1)) {  // one new query may see every key
      // Mask built from the scores themselves: [T, S], true where a key is in the query's
      // future. Without a cache S == T (the diagonal); with one the T queries are the last T.
      auto future = torch::ones_like(att.select(0, 0).select(0, 0), torch::kBool).triu(1 + att.size(-1) - att.size(-2));
      att.masked_fill_(future, neg_inf);
    }
    if (key_padding_mask.defined()) att.masked_fill_(key_padding_mask.unsqueeze(1).unsqueeze(2), neg_inf);
    att = torch::softmax(att, -1);
  }
  if (keep_attention) last_attention = att.detach();
  att = attn_dropout(att);
  auto y = torch::matmul(att, v).transpose(1, 2).flatten(-2);  // [B, T, C]
  return resid_dropout(c_proj(y));
}

}  // namespace attnlab
