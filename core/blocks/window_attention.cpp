#include "core/blocks/window_attention.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace attnlab {

namespace {

// true where distance d = i - j (query minus key position) is outside the window.
torch::Tensor outside_window(const torch::Tensor& d, int64_t window, bool causal) {
  torch::Tensor hidden = causal ? d.lt(0) : torch::zeros_like(d, torch::kBool);
  if (window > 0) hidden = hidden.logical_or(causal ? d.ge(window) : d.abs().ge(window));
  return hidden;
}

}  // namespace

torch::Tensor window_mask(const torch::Tensor& q_positions, const torch::Tensor& k_positions, int64_t window,
                          bool causal) {
  return outside_window(q_positions.unsqueeze(1) - k_positions.unsqueeze(0), window, causal);
}

torch::Tensor masked_softmax(torch::Tensor scores, const torch::Tensor& masked) {
  // A row with nothing to see is left unmasked for the softmax and zeroed after it: its output
  // is 0 and no gradient flows through it (a NaN row would poison the whole backward pass).
  const auto blind = masked.all(-1, /*keepdim=*/true);
  scores.masked_fill_(masked.logical_and(blind.logical_not()), -std::numeric_limits<double>::infinity());
  return torch::softmax(scores, -1).masked_fill(blind, 0.0);
}

torch::Tensor window_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t window,
                               bool causal, const torch::Tensor& key_padding_mask, const torch::Tensor& alibi_slopes,
                               const std::function<torch::Tensor(const torch::Tensor&)>& on_weights) {
  TORCH_CHECK(window >= 1, "window_attention needs a window >= 1, got ", window);
  TORCH_CHECK(q.dim() == 4 && k.sizes() == v.sizes() && q.size(2) == k.size(2),
              "window_attention expects q, k, v of shape [B, h, T, hd] with the same T");
  namespace F = torch::nn::functional;
  // Blocks of `window` queries; the keys a block can reach: `before` positions ahead of it,
  // `after` past it. Every size below is fixed by the window and every pad a constant, so that
  // a trace (which records sizes as constants) stays right for every length T.
  const int64_t block = window, before = window - 1, after = causal ? 0 : window - 1;
  const int64_t span = block + before + after;
  auto pad = [&](const torch::Tensor& t, int64_t dim, int64_t front, int64_t back) {
    std::vector<int64_t> amounts(static_cast<size_t>(2 * (t.dim() - dim)), 0);  // last dimension first
    amounts[amounts.size() - 2] = front, amounts[amounts.size() - 1] = back;
    return F::pad(t, F::PadFuncOptions(amounts));
  };
  // Padded so that block b's reach is rows [b * block, b * block + span); unfold makes those
  // windows views, as many as there are query blocks (ceil(T / block)).
  const auto k_blocks = pad(k, 2, before, after + block - 1).unfold(2, span, block);  // [B, h, nb, hd, span]
  const auto v_blocks = pad(v, 2, before, after + block - 1).unfold(2, span, block).transpose(-1, -2);
  const auto q_blocks = pad(q, 2, 0, block - 1).unfold(2, block, block).transpose(-1, -2);  // [B, h, nb, block, hd]
  auto scores = torch::matmul(q_blocks, k_blocks);  // [B, h, nb, block, span]

  // Query r of block b sits at b * block + r, key s of its reach at b * block - before + s:
  // their distance r + before - s is the same in every block.
  const auto opts = torch::TensorOptions().dtype(torch::kLong).device(q.device());
  const auto distance = torch::arange(block, opts).unsqueeze(1) + before - torch::arange(span, opts).unsqueeze(0);
  // Keys that exist and are not padding, laid out as the blocks' reach: [1 or B, nb, span].
  auto visible = torch::ones_like(k.select(1, 0).select(-1, 0), torch::kUInt8).narrow(0, 0, 1);  // [1, T]
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.dim() == 2 && key_padding_mask.size(1) == k.size(2),
                "window_attention expects a key padding mask of shape [B, T]");
    visible = key_padding_mask.logical_not().to(torch::kUInt8);
  }
  const auto hidden_keys = pad(visible, 1, before, after + block - 1).unfold(1, span, block).eq(0);
  const auto masked = outside_window(distance, window, causal).view({1, 1, 1, block, span})
                          .logical_or(hidden_keys.unsqueeze(1).unsqueeze(3));
  if (alibi_slopes.defined())
    scores = scores + (-alibi_slopes.view({-1, 1, 1, 1}) * distance.abs().to(alibi_slopes.dtype())).to(scores.dtype());
  auto weights = masked_softmax(scores, masked);
  if (on_weights) weights = on_weights(weights);
  // Back to [B, h, T, hd]: the first T of the nb * block rows (indexed, so a trace keeps T free).
  const auto rows = torch::ones_like(q.select(1, 0).select(-1, 0).select(0, 0), torch::kLong).cumsum(0) - 1;
  return torch::matmul(weights, v_blocks).flatten(2, 3).index_select(2, rows);
}

}  // namespace attnlab
