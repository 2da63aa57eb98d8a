// The `model:` keys of the transformer blocks, which every family has (read and validated by
// read_block_keys in models/transformer_keys.h). A family's options struct derives from it
// and sets its own defaults in its constructor. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>

namespace attnlab {

struct BlockKeys {
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 256;
  double dropout = 0.0;
  bool bias = true;  // biases in Linears and LayerNorms
  int64_t mlp_ratio = 4;
  std::string activation = "gelu";       // gelu | relu | swiglu
  std::string norm = "layernorm";        // layernorm | rmsnorm
  std::string norm_position = "pre";     // pre | post
  std::string pos_encoding = "learned";  // learned | sinusoidal | rope | alibi | none
  int64_t n_kv_head = 0;                 // key/value heads (grouped-query attention); 0 = n_head
  bool qk_norm = false;
  int64_t attention_window = 0;  // self-attention's sliding window W (0 = every position)
};

}  // namespace attnlab
