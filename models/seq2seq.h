// The encoder-decoder Transformer of "Attention Is All You Need", built from the shared
// blocks in core/: an encoder stack of bidirectional TransformerBlocks over the source and a
// decoder stack of causal TransformerBlocks with cross-attention to the encoder's output.
// Embeddings are scaled by sqrt(n_embd) and summed with (by default) sinusoidal positions;
// source and target may share one embedding (a joint vocabulary), and the output projection
// may be tied to the target embedding.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/blocks/dropout.h"
#include "core/blocks/layer_norm.h"
#include "core/blocks/positional.h"
#include "core/blocks/transformer_block.h"
#include "models/block_keys.h"
#include "core/config/section.h"
#include "core/export/exportable.h"

namespace attnlab {

// One field per `model:` key (see docs/config.md), plus what the data provides: the block keys
// with the paper's defaults (ReLU, sinusoids, dropout 0.1; but pre-norm, which trains without
// the paper's long warm-up; n_layer counts encoder layers), and:
struct Seq2seqOptions : BlockKeys {
  Seq2seqOptions() { n_layer = 3, dropout = 0.1, activation = "relu", pos_encoding = "sinusoidal"; }
  int64_t vocab_size = 0;  // 0: taken from the dataset's (joint) tokenizer
  int64_t max_len = 256;   // positions on each side (the longest source or target)
  int64_t n_decoder_layer = 0;  // decoder layers; 0 = n_layer
  bool share_embeddings = true;  // one embedding for source and target (a joint vocabulary)
  bool tie_output = true;        // output projection = the target embedding

  // From the data (ModelContext), not the config:
  int64_t pad_id = 0;

  static Seq2seqOptions read(ConfigSection& s);
  int64_t decoder_layers() const { return n_decoder_layer > 0 ? n_decoder_layer : n_layer; }
};

// The encoder's output and the source padding mask the decoder's cross-attention needs.
struct EncoderMemory {
  torch::Tensor states;  // [B, S, C]
  torch::Tensor mask;    // [B, S] bool, true at [PAD]
  void select_rows(const torch::Tensor& rows) {
    states = states.index_select(0, rows), mask = mask.index_select(0, rows);
  }
};

class Seq2seqImpl : public torch::nn::Module {
 public:
  explicit Seq2seqImpl(const Seq2seqOptions& options);

  // Teacher forcing: source ids [B, S] and target input ids [B, T] ([CLS] then the target)
  // -> logits [B, T, V] for the next target token at every position.
  torch::Tensor forward(const torch::Tensor& source, const torch::Tensor& target_in);

  EncoderMemory encode(const torch::Tensor& source);
  // Logits [B, T, V] for target ids [B, T]. With a cache, `target` holds only the positions
  // after the cached ones (usually one) and the cache is extended.
  torch::Tensor decode(const torch::Tensor& target, const EncoderMemory& memory, DecoderCache* cache = nullptr);
  // TorchScript, for decoding loops outside attnlab: encode(source) -> (memory [B, S, C],
  // source_mask [B, S] bool), decode(target, memory, source_mask) -> logits [B, T, V] (the whole
  // target prefix, no cache), and forward(source, target_in) -> logits.
  Exportable exportable();
  DecoderCache new_cache() const { return DecoderCache(decoder_.size()); }

  Seq2seqOptions options;
  torch::nn::Embedding src_embed{nullptr}, tgt_embed{nullptr};  // the same module when shared
  PositionalEncoding pos{nullptr};
  Dropout drop{nullptr};
  torch::nn::ModuleList encoder{nullptr}, decoder{nullptr};
  LayerNorm enc_ln{nullptr}, dec_ln{nullptr};  // pre-norm only: the stacks' final norms
  torch::nn::Linear lm_head{nullptr};          // untied output projection only

 private:
  torch::Tensor embed(torch::nn::Embedding& table, const torch::Tensor& ids, int64_t offset);
  std::vector<TransformerBlock> encoder_, decoder_;  // typed views of encoder / decoder
};
TORCH_MODULE(Seq2seq);

}  // namespace attnlab
