// The `model:` keys every transformer family shares: the block keys (n_layer, n_head, n_embd,
// dropout, bias, mlp_ratio, activation, norm, norm_position, n_kv_head, qk_norm, pos_encoding,
// attention_window)
// and, for token models, vocab_size. Each family's options struct has fields of these names,
// read and validated here once, and turned into the options of its TransformerBlocks and norms.
#pragma once

#include <string>

#include "core/blocks/layer_norm.h"
#include "core/blocks/transformer_block.h"
#include "core/config/section.h"
#include "models/block_keys.h"

namespace attnlab {

// Position encodings: "learned" and "sinusoidal" are added to the embeddings; "rope" and
// "alibi" live in self-attention; "none" has no position signal at all.
inline const std::vector<std::string>& pos_encoding_kinds() {
  static const std::vector<std::string> kinds = {"learned", "sinusoidal", "rope", "alibi", "none"};
  return kinds;
}

template <class Options>
void read_block_keys(ConfigSection& s, Options& o) {
  // Sizes are bounded by what a machine could hold; what this one can is checked against the
  // memory estimate (models/memory_estimate.h) before anything is allocated.
  ATTNLAB_READ(s, o, n_layer, Range::closed(1, 10000));
  ATTNLAB_READ(s, o, n_head, Range::closed(1, 4096));
  ATTNLAB_READ(s, o, n_embd, Range::closed(1, 1 << 20));
  ATTNLAB_READ(s, o, dropout, Range::half_open(0, 1));
  ATTNLAB_READ(s, o, bias);
  ATTNLAB_READ(s, o, mlp_ratio, Range::closed(1, 1024));
  ATTNLAB_READ(s, o, n_kv_head, Range::closed(0, 4096, "0 = n_head"));
  ATTNLAB_READ(s, o, qk_norm);
  ATTNLAB_READ(s, o, attention_window, Range::closed(0, 1 << 24, "0 = every position"));
  o.activation = s.choice("activation", o.activation, {"gelu", "relu", "swiglu"});
  o.norm = s.choice("norm", o.norm, {"layernorm", "rmsnorm"});
  o.norm_position = s.choice("norm_position", o.norm_position, {"pre", "post"});
  o.pos_encoding = s.choice("pos_encoding", o.pos_encoding, pos_encoding_kinds());
  if (o.n_embd % o.n_head != 0)
    s.fail("n_embd", "must be divisible by n_head (" + std::to_string(o.n_embd) + " % " +
                         std::to_string(o.n_head) + " != 0)");
  if (o.n_kv_head > 0 && o.n_head % o.n_kv_head != 0)
    s.fail("n_kv_head", "must divide n_head (" + std::to_string(o.n_head) + "); 0 = n_head");
  if (o.pos_encoding == "rope" && (o.n_embd / o.n_head) % 2 != 0)
    s.fail("pos_encoding", "rope needs an even head size (n_embd / n_head = " + std::to_string(o.n_embd / o.n_head) +
                               ")");
}

template <class Options>
void read_transformer_keys(ConfigSection& s, Options& o) {
  ATTNLAB_READ(s, o, vocab_size, Range::closed(0, 1 << 24, "0 = from the dataset"));
  read_block_keys(s, o);
}

// Positions that only distances matter to, or none (rope, alibi, none): a sequence may start
// anywhere, past a memory or a window; the learned and sinusoidal tables cannot.
inline bool relative_positions(const std::string& pos_encoding) {
  return pos_encoding == "rope" || pos_encoding == "alibi" || pos_encoding == "none";
}

// What attention does with positions for a pos_encoding (the additive kinds: nothing).
inline std::string attention_positions(const std::string& pos_encoding) {
  return pos_encoding == "rope" || pos_encoding == "alibi" ? pos_encoding : "none";
}

template <class Options>
TransformerBlockOptions block_options(const Options& o, bool causal) {
  return TransformerBlockOptions(o.n_embd, o.n_head)
      .mlp_ratio(o.mlp_ratio)
      .activation(o.activation)
      .dropout(o.dropout)
      .bias(o.bias)
      .norm(o.norm)
      .norm_position(o.norm_position)
      .n_kv_head(o.n_kv_head)
      .qk_norm(o.qk_norm)
      .positions(attention_positions(o.pos_encoding))
      .window(o.attention_window)
      .causal(causal);
}

// The options of a model-level norm (final, embedding): the blocks' kind and bias.
template <class Options>
LayerNormOptions norm_options(const Options& o) {
  return LayerNormOptions(o.n_embd).bias(o.bias).kind(o.norm);
}

}  // namespace attnlab
