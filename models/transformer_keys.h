// The `model:` keys every transformer family shares: the block keys (n_layer, n_head, n_embd,
// dropout, bias, mlp_ratio, activation, norm_position) and, for token models, vocab_size and
// pos_encoding. Each family's options struct has fields of these names, read and validated
// here once, and turned into the options of its TransformerBlocks.
#pragma once

#include <string>

#include "core/blocks/transformer_block.h"
#include "core/config/section.h"

namespace attnlab {

template <class Options>
void read_block_keys(ConfigSection& s, Options& o) {
  ATTNLAB_READ(s, o, n_layer);
  ATTNLAB_READ(s, o, n_head);
  ATTNLAB_READ(s, o, n_embd);
  ATTNLAB_READ(s, o, dropout);
  ATTNLAB_READ(s, o, bias);
  ATTNLAB_READ(s, o, mlp_ratio);
  o.activation = s.choice("activation", o.activation, {"gelu", "relu"});
  o.norm_position = s.choice("norm_position", o.norm_position, {"pre", "post"});
  if (o.n_layer < 1) s.fail("n_layer", "must be >= 1");
  if (o.n_head < 1) s.fail("n_head", "must be >= 1");
  if (o.n_embd < 1) s.fail("n_embd", "must be >= 1");
  if (o.n_embd % o.n_head != 0)
    s.fail("n_embd", "must be divisible by n_head (" + std::to_string(o.n_embd) + " % " +
                         std::to_string(o.n_head) + " != 0)");
  if (o.dropout < 0.0 || o.dropout >= 1.0) s.fail("dropout", "must be in [0, 1)");
  if (o.mlp_ratio < 1) s.fail("mlp_ratio", "must be >= 1");
}

template <class Options>
void read_transformer_keys(ConfigSection& s, Options& o) {
  ATTNLAB_READ(s, o, vocab_size);
  read_block_keys(s, o);
  o.pos_encoding = s.choice("pos_encoding", o.pos_encoding, {"learned", "sinusoidal"});
  if (o.vocab_size < 0) s.fail("vocab_size", "must be >= 0 (0 = from the dataset)");
}

template <class Options>
TransformerBlockOptions block_options(const Options& o, bool causal) {
  return TransformerBlockOptions(o.n_embd, o.n_head)
      .mlp_ratio(o.mlp_ratio)
      .activation(o.activation)
      .dropout(o.dropout)
      .bias(o.bias)
      .norm_position(o.norm_position)
      .causal(causal);
}

}  // namespace attnlab
