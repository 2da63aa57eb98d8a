#include "core/blocks/transformer_block.h"

namespace attnlab {

TransformerBlockImpl::TransformerBlockImpl(const TransformerBlockOptions& o) : options(o) {
  TORCH_CHECK(o.norm_position() == "pre" || o.norm_position() == "post",
              "norm_position must be 'pre' or 'post', got '", o.norm_position(), "'");
  const bool conditioned = o.condition_dims() > 0;
  TORCH_CHECK(!conditioned || (o.norm_position() == "pre" && !o.cross_attention()),
              "adaLN-Zero conditioning (condition_dims) needs a pre-norm encoder-form block");
  // adaLN's norms take their scale and shift from the condition; DiT's eps (1e-6).
  auto ln = [&] {
    return LayerNorm(LayerNormOptions(o.n_embd()).bias(o.bias()).kind(o.norm()).affine(!conditioned).eps(conditioned ? 1e-6 : 1e-5));
  };
  auto mha = [&](bool causal, const std::string& positions, int64_t window) {
    return MultiHeadAttention(MultiHeadAttentionOptions(o.n_embd(), o.n_head())
                                  .bias(o.bias())
                                  .dropout(o.dropout())
                                  .causal(causal)
                                  .n_kv_head(o.n_kv_head())
                                  .qk_norm(o.qk_norm())
                                  .norm(o.norm())
                                  .positions(positions)
                                  .window(window));
  };
  ln_1 = register_module("ln_1", ln());
  attn = register_module("attn", mha(o.causal(), o.positions(), o.window()));
  if (o.cross_attention()) {
    ln_cross = register_module("ln_cross", ln());
    cross_attn = register_module("cross_attn", mha(false, "none", 0));
  }
  ln_2 = register_module("ln_2", ln());
  mlp = register_module("mlp", FeedForward(FeedForwardOptions(o.n_embd())
                                               .mlp_ratio(o.mlp_ratio())
                                               .activation(o.activation())
                                               .bias(o.bias())
                                               .dropout(o.dropout())));
  if (conditioned)
    adaLN_modulation = register_module("adaLN_modulation", AdaLNModulation(AdaLNModulationOptions(o.condition_dims(), o.n_embd(), 6)));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& memory,
                                            const torch::Tensor& padding_mask,
                                            const torch::Tensor& memory_padding_mask, BlockCache* cache,
                                            const torch::Tensor& condition) {
  TORCH_CHECK(options.cross_attention() == memory.defined(),
              options.cross_attention() ? "a decoder block needs a memory" : "an encoder block takes no memory");
  TORCH_CHECK((options.condition_dims() > 0) == condition.defined(),
              options.condition_dims() > 0 ? "an adaLN-conditioned block needs a condition" : "this block takes no condition");
  if (condition.defined()) {
    // adaLN-Zero: x + gate * f(norm(x) * (1 + scale) + shift), for attention then the MLP.
    const auto m = adaLN_modulation(condition);  // shift, scale, gate (attention); shift, scale, gate (MLP)
    auto x = x_in + m[2] * attn(modulate(ln_1(x_in), m[0], m[1]), torch::Tensor(), padding_mask,
                                 cache ? &cache->self : nullptr);
    return x + m[5] * mlp(modulate(ln_2(x), m[3], m[4]));
  }
  const bool pre = options.norm_position() == "pre";
  // Pre-norm: x + f(norm(x)), a clean residual path (GPT-2). Post-norm: norm(x + f(x)).
  auto sublayer = [pre](const torch::Tensor& x, LayerNorm& norm, const auto& f) {
    return pre ? x + f(norm(x)) : norm(x + f(x));
  };
  auto x = sublayer(x_in, ln_1, [&](const torch::Tensor& h) { return attn(h, torch::Tensor(), padding_mask, cache ? &cache->self : nullptr);
  });
  if (options.cross_attention())
    x = sublayer(x, ln_cross, [&](const torch::Tensor& h) {
      return cross_attn(h, memory, memory_padding_mask, cache ? &cache->cross : nullptr);
    });
  return sublayer(x, ln_2, [&](const torch::Tensor& h) { return mlp(h); });
}

BlockCache TransformerBlockImpl::context_cache(const torch::Tensor& context) {
  TORCH_CHECK(!options.cross_attention() && options.condition_dims() == 0,
              "context_cache: an unconditioned encoder-form block only");
  BlockCache cache;
  if (context.size(1) == 0) return cache;
  // The context's keys and values, normalised as the block normalises its own input (pre-norm).
  cache.self = attn->prefill(options.norm_position() == "pre" ? ln_1(context) : context);
  return cache;
}

}  // namespace attnlab
