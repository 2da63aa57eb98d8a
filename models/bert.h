// A BERT-style masked encoder built from the shared blocks in core/: token + position
// embeddings, n_layer bidirectional TransformerBlocks with a key-padding mask (post-norm by
// default as in BERT, with an embedding LayerNorm; pre-norm adds a final LayerNorm instead),
// and one head: masked-LM (dense + GELU + LayerNorm, projection tied to the token embedding)
// or sequence classification on [CLS] (or the mean over real tokens).
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

// One field per `model:` key (see docs/config.md): the block keys (BERT's defaults: post-norm,
// dropout 0.1), and the ones below, plus what the data provides.
struct BertOptions : BlockKeys {
  BertOptions() { dropout = 0.1, norm_position = "post"; }
  int64_t vocab_size = 0;  // 0: taken from the dataset's tokenizer
  int64_t max_len = 128;   // positions (the longest sequence)
  bool tie_embeddings = true;  // masked-LM projection = the token embedding
  std::string pooling = "cls";   // classification: "cls" (the [CLS] position) or "mean" (over real tokens)
  std::string init_from = "";    // a pretrained bert run directory or checkpoint file (its encoder is loaded)
  bool freeze_encoder = false;   // train the head only

  // From the data (ModelContext), not the config:
  std::string head = "mlm";  // "mlm" or "classifier"
  int64_t pad_id = 0;
  int64_t num_classes = 0;

  static BertOptions read(ConfigSection s);
};

// Embeddings + encoder blocks: ids [B, T] -> hidden states [B, T, C].
class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const BertOptions& options);
  // padding_mask: [B, T] bool, true at [PAD] positions (ignored as keys).
  torch::Tensor forward(const torch::Tensor& idx, const torch::Tensor& padding_mask);

  BertOptions options;
  torch::nn::Embedding wte{nullptr};
  PositionalEncoding wpe{nullptr};
  LayerNorm ln_emb{nullptr};  // post-norm only (BERT normalises the embeddings)
  Dropout drop{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};  // pre-norm only

 private:
  std::vector<TransformerBlock> blocks_;
};
TORCH_MODULE(BertEncoder);

// BERT's masked-LM head: dense + GELU + norm, then logits against the token embedding (tied)
// or a projection of its own.
class MaskedLMHeadImpl : public torch::nn::Module {
 public:
  MaskedLMHeadImpl(const LayerNormOptions& norm, int64_t vocab_size, bool tied);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& embedding);  // [N, C] -> [N, V]

  torch::nn::Linear dense{nullptr};
  LayerNorm ln{nullptr};
  torch::Tensor weight;  // [V, C], untied only
  torch::Tensor bias;    // [V]
};
TORCH_MODULE(MaskedLMHead);

class BertImpl : public torch::nn::Module {
 public:
  explicit BertImpl(const BertOptions& options);

  // Hidden states [B, T, C]; [PAD] tokens are masked out as keys.
  torch::Tensor forward(const torch::Tensor& idx);
  // Masked-LM logits [N, V] at the N positions where `selected` ([B, T] bool) is true.
  torch::Tensor mlm_logits(const torch::Tensor& idx, const torch::Tensor& selected);
  // Class logits [B, num_classes].
  torch::Tensor classify(const torch::Tensor& idx);
  // TorchScript: forward(idx) -> masked-LM logits [B, T, V] at every position (head "mlm") or
  // class logits [B, num_classes] (head "classifier"); [PAD] ids are masked out as keys.
  Exportable exportable();

  BertOptions options;
  BertEncoder encoder{nullptr};
  MaskedLMHead mlm_head{nullptr};         // head "mlm"
  Dropout cls_drop{nullptr};              // head "classifier"
  torch::nn::Linear classifier{nullptr};  // head "classifier"
};
TORCH_MODULE(Bert);

}  // namespace attnlab
