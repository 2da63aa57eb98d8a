// GPT: a decoder-only transformer (the nanoGPT recipe) built from the shared blocks in core/.
// Token + position embeddings, n_layer causal pre-norm blocks, final LayerNorm, and an
// output head tied to the token embedding.
#pragma once

#include <torch/torch.h>

#include <string>

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
  int64_t vocab_size = 0;  // 0: taken from the dataset's tokenizer
  int64_t block_size = 256;
  bool tie_embeddings = true;  // output head = the token embedding

  static GPTOptions read(ConfigSection s);
};

class GPTImpl : public torch::nn::Module {
 public:
  explicit GPTImpl(const GPTOptions& options);

  // idx: [B, T] token ids, T <= block_size. Returns logits [B, T, vocab_size].
  torch::Tensor forward(const torch::Tensor& idx);

  // Appends max_new_tokens sampled tokens to idx [B, T]. temperature <= 0 means greedy;
  // top_k <= 0 means no top-k filter. The context is cropped to the last block_size tokens.
  torch::Tensor generate(torch::Tensor idx, int64_t max_new_tokens, double temperature, int64_t top_k,
                         uint64_t seed);

  // TorchScript: forward(idx) -> logits, for any batch and any length up to block_size.
  Exportable exportable();

  // Parameter count; nanoGPT subtracts the position table ("non-embedding" count).
  int64_t num_params(bool non_embedding = true) const;

  GPTOptions options;
  torch::nn::Embedding wte{nullptr};
  PositionalEncoding wpe{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};
  torch::nn::Linear lm_head{nullptr};  // untied embeddings only

 private:
  std::vector<TransformerBlock> blocks_;  // typed views of h
};
TORCH_MODULE(GPT);

}  // namespace attnlab
