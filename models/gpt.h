// GPT: a decoder-only transformer (the nanoGPT recipe) built from the shared blocks in core/.
// Token + position embeddings, n_layer causal pre-norm blocks, final LayerNorm, and an
// output head tied to the token embedding.
#pragma once

#include <torch/torch.h>

#include <string>
#include <tuple>
#include <vector>

#include "core/blocks/dropout.h"
#include "core/blocks/layer_norm.h"
#include "core/blocks/positional.h"
#include "core/blocks/transformer_block.h"
#include "models/block_keys.h"
#include "core/config/section.h"
#include "core/export/exportable.h"

namespace attnlab {

// One field per `model:` key (see docs/config.md): the block keys (nanoGPT's defaults), and:
struct GPTOptions : BlockKeys {
  GPTOptions() { n_layer = 6, n_head = 6, n_embd = 384, bias = false; }
  // 0: taken from the dataset's tokenizer. Built with 0, the GPT is a backbone without token
  // embedding or head, driven through forward_embeddings() (e.g. models/icl_regressor.h).
  int64_t vocab_size = 0;
  int64_t block_size = 256;    // with memory_length: the segment length
  bool tie_embeddings = true;  // output head = the token embedding
  // Transformer-XL (Dai et al. 2019): each layer also attends to its inputs at the last
  // memory_length positions of the preceding segments; 0 = none. Needs relative positions
  // (rope, alibi) or none, and stream batches (data.stream).
  int64_t memory_length = 0;

  static GPTOptions read(ConfigSection s);
};

// Transformer-XL's memory (Dai et al. 2019): each layer's inputs at the last positions a
// stream of segments has seen, [B, M, n_embd] a layer, detached (no gradient flows into a
// past segment). Empty before the first segment.
struct SegmentMemory {
  std::vector<torch::Tensor> layers;
  int64_t length() const { return layers.empty() ? 0 : layers.front().size(1); }
};

class GPTImpl : public torch::nn::Module {
 public:
  explicit GPTImpl(const GPTOptions& options);

  // idx: [B, T] token ids, T <= block_size (any T when unbounded()). Returns logits [B, T, vocab_size].
  // cache: incremental decoding; idx then holds the positions after the cached ones, and the
  // cache keeps their keys and values (at most block_size positions in all; with a window, the
  // last attention_window - 1 of an unbounded length).
  torch::Tensor forward(const torch::Tensor& idx, DecoderCache* cache = nullptr);
  DecoderCache new_cache() const { return DecoderCache(blocks_.size()); }

  // Segment-level recurrence (Transformer-XL): logits [B, T, vocab_size] of a segment idx
  // [B, T] that continues the stream `memory` holds; each layer attends over its memory and
  // the segment's causal positions. `memory` then keeps the last memory_length positions of
  // each layer's inputs. Needs relative positions (rope, alibi) or none: a learned or
  // sinusoidal table cannot place a query past the segment's start.
  torch::Tensor forward_segment(const torch::Tensor& idx, SegmentMemory& memory, int64_t memory_length);
  // forward_segment in the form a TorchScript file takes (a trace fixes every size it reads):
  // the memory is one tensor [n_layer, B, memory_length, n_embd] whose last `filled` [B]
  // (int64) positions of each row are real and the rest padding (a stream starts with zeros
  // and filled 0). Returns the logits [B, T, vocab_size], the next memory in the same form and
  // its filled counts, min(filled + T, memory_length). Equal to forward_segment where filled is
  // the length of its memory (relative positions make the padding's offset immaterial).
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward_segment_padded(const torch::Tensor& idx,
                                                                                const torch::Tensor& memory,
                                                                                const torch::Tensor& filled);
  // Caches holding `memory`'s keys and values; segment_features continues after them.
  DecoderCache memory_cache(const SegmentMemory& memory);
  // The final-norm features [B, T, n_embd] of tokens idx [B, T] that follow the memory and
  // tokens `cache` holds (memory_cache, then earlier calls); the cache keeps idx's keys too.
  torch::Tensor segment_features(const torch::Tensor& idx, DecoderCache& cache);

  // The causal stack on input embeddings x [B, T, n_embd] instead of token ids: positions,
  // blocks and final norm. Returns the features [B, T, n_embd] an output head reads.
  torch::Tensor forward_embeddings(const torch::Tensor& x, DecoderCache* cache = nullptr);

  // Appends max_new_tokens sampled tokens to idx [B, T]. temperature <= 0 means greedy;
  // top_k <= 0 means no top-k filter. The model sees the last block_size tokens (the context
  // is cropped); a model with memory_length reads the sequence as training's streams did, in
  // segments of block_size from its first token, each continuing the memory of those before. With kv_cache each new token costs one position until the window is full;
  // past it the cropped window is recomputed, because every layer's keys above the first
  // depend on the tokens the crop drops (rolling the cache would change the logits, by ~1e-2
  // in a 2-layer model, even with relative positions).
  // logits: if given, receives each step's next-token logits [B, max_new_tokens, V] (float32).
  // on_token: if given, called with each step's new tokens [B, 1] (CPU, int64) as they are drawn,
  // so that a caller can stream them. Runs in float32 even inside a bf16 autocast scope.
  torch::Tensor generate(torch::Tensor idx, int64_t max_new_tokens, double temperature, int64_t top_k,
                         uint64_t seed, bool kv_cache = true, torch::Tensor* logits = nullptr,
                         const std::function<void(const torch::Tensor&)>& on_token = nullptr);

  // TorchScript: forward(idx) -> logits, for any batch and any length up to block_size; with
  // memory_length, forward_segment(idx, memory, memory_filled) instead (forward_segment_padded).
  Exportable exportable();

  // A sliding window with relative (or no) positions: any sequence length, at O(T * W), and
  // generation past block_size at a constant cost per token.
  bool unbounded() const;

  // Parameter count; nanoGPT subtracts the position table ("non-embedding" count).
  int64_t num_params(bool non_embedding = true) const;

  GPTOptions options;
  torch::nn::Embedding wte{nullptr};  // null in a backbone (vocab_size 0)
  PositionalEncoding wpe{nullptr};
  Dropout drop{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};
  torch::nn::Linear lm_head{nullptr};  // untied embeddings only

 private:
  // The final-norm features [B, T, n_embd] the output head reads, and the head itself.
  torch::Tensor features(const torch::Tensor& idx, DecoderCache* cache = nullptr);
  torch::Tensor output_head(const torch::Tensor& features);
  // The blocks over a segment's embeddings x [B, T, n_embd] that follows `memory`, with
  // padding [B, m + T] (true: a memory position that is padding) or none. Returns the final
  // features; `next` receives each layer's last memory_length inputs (its memory, then x).
  torch::Tensor segment_blocks(torch::Tensor x, const SegmentMemory& memory, const torch::Tensor& padding,
                               int64_t memory_length, std::vector<torch::Tensor>& next);
  void require_relative_positions() const;
  Exportable memory_exportable(const InputSpec& tokens);
  // generate's loop, in inference mode.
  torch::Tensor sample(torch::Tensor idx, int64_t max_new_tokens, double temperature, int64_t top_k, uint64_t seed,
                       bool kv_cache, torch::Tensor* logits, const std::function<void(const torch::Tensor&)>& on_token);
  std::vector<TransformerBlock> blocks_;  // typed views of h
};
TORCH_MODULE(GPT);

}  // namespace attnlab
