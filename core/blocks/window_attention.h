// Sliding-window (local) attention: a causal query at position i sees the keys at i - W < j <= i
// (Mistral's window; Longformer's causal band), a bidirectional one the keys with |i - j| < W
// (Longformer's / BigBird's local attention). window_attention() computes it blockwise, at O(T * W)
// time and memory instead of masking an O(T^2) score matrix; window_mask() is the same rule as
// a dense mask, for short inputs, cached decoding and tracing.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace attnlab {

// [Tq, S] bool, true where the query at q_positions[t] may NOT see the key at k_positions[s]
// (positions: int64 [Tq] and [S], absolute). window 0 = no window (only causality, if causal).
torch::Tensor window_mask(const torch::Tensor& q_positions, const torch::Tensor& k_positions, int64_t window,
                          bool causal);

// Attention of q [B, h, T, hd] (already scaled by 1/sqrt(hd)) over k, v [B, h, T, hd] within a
// window of `window` >= 1 positions, as blocks of `window` queries against the keys their
// window can reach (2 window - 1 keys causal, 3 window - 2 bidirectional): O(T * window).
// Sizes depend on the window only, so a traced call is right for every T.
// key_padding_mask: [B, T] bool, true = ignore that key. alibi_slopes: [h] (optional) adds
// -slope * |i - j| to the scores (core/blocks/alibi.h). on_weights: applied to the weights after
// the softmax (attention dropout). A query whose window holds no visible key (only padding)
// gets a zero output and no gradient, where a dense softmax would give NaN.
// Returns [B, h, T, hd].
torch::Tensor window_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t window,
                               bool causal, const torch::Tensor& key_padding_mask = {},
                               const torch::Tensor& alibi_slopes = {},
                               const std::function<torch::Tensor(const torch::Tensor&)>& on_weights = nullptr);

// Softmax over the last dimension of scores with `masked` (broadcastable, true = hidden) set to
// -inf, where a row with every entry hidden gives weights of zero instead of NaN.
torch::Tensor masked_softmax(torch::Tensor scores, const torch::Tensor& masked);

}  // namespace attnlab
