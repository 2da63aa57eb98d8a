// A transformer's training memory estimated from its config, before anything is allocated, so
// that a size that cannot fit is refused with the keys that drive it (not LibTorch's
// allocation failure halfway through building). Activations follow Korthikanti et al. 2022,
// "Reducing Activation Recomputation in Large Transformer Models", §4.1, in fp32: per block and
// token about (9 + 2 mlp_ratio) n_embd + 2.5 n_head T floats (T: the keys a query attends,
// about 3 attention_window with a window). LibTorch-free.
#pragma once

#include <cstdint>
#include <string>

#include "core/util/memory.h"
#include "models/block_keys.h"

namespace attnlab {

struct TransformerSize {
  int64_t encoder_blocks = 0;  // self-attention blocks
  int64_t decoder_blocks = 0;  // blocks with cross-attention as well
  int64_t input_rows = 0;      // token embedding rows (the vocabulary), or the inputs of a patch/read-in projection
  int64_t outputs = 0;         // head outputs: the vocabulary, the classes
  bool outputs_tied = false;   // the head is the token embedding (no weights of its own)
  bool output_per_token = true;  // language models: logits at every position; classifiers: one row
  int64_t positions = 0;       // rows of a learned position table
  int64_t seq_len = 0;         // tokens per example (each side for an encoder-decoder)
  int64_t batch = 0;           // examples per micro-batch
  std::string size_keys;       // the config keys of the blocks' weights: "model.n_layer, model.n_embd, ..."
  std::string batch_keys;      // those of the tokens in a batch: "trainer.batch_size, model.block_size"
  std::string output_keys;     // those of the vocabulary or classes: "model.vocab_size"
  int64_t other_parameters = 0;  // weights outside the blocks, embeddings and head (a convolutional stem)
  int64_t memory_length = 0;     // Transformer-XL: the memory's positions every query also attends to
};

// Weights with their gradients and AdamW's two moments; the activations autograd keeps for
// one micro-batch; the logits and their gradient.
MemoryNeed training_memory(const BlockKeys& keys, const TransformerSize& size);

}  // namespace attnlab
