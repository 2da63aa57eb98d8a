// A Vision Transformer (Dosovitskiy et al., 2021) built from the shared blocks in core/: the
// image cut into patch_size x patch_size patches, each flattened and projected to n_embd (one
// token per patch), a learned [CLS] token in front, learned position embeddings, n_layer
// bidirectional TransformerBlocks (pre-norm and GELU by default), a final LayerNorm and a
// linear head on the [CLS] token (or on the mean of the patch tokens).
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
// (positions over the token index: [CLS], then the patches row by row), and:
struct ViTOptions : BlockKeys {
  ViTOptions() { n_layer = 6, n_embd = 128; }
  int64_t patch_size = 4;  // must divide the image's height and width
  std::string pool = "cls";  // what the head reads: "cls" (the [CLS] token) or "mean" (of the patch tokens)

  // From the data (ModelContext), not the config:
  int64_t channels = 1, image_height = 0, image_width = 0;
  int64_t num_classes = 0;

  static ViTOptions read(ConfigSection s);
  int64_t grid_height() const { return image_height / patch_size; }
  int64_t grid_width() const { return image_width / patch_size; }
  int64_t num_patches() const { return grid_height() * grid_width(); }
};

// Images [B, C, H, W] -> patches [B, (H/p)(W/p), C*p*p]: patch i is the p x p crop at grid
// row i / (W/p), column i % (W/p), flattened channel by channel, row by row.
torch::Tensor patchify(const torch::Tensor& images, int64_t patch_size);

class ViTImpl : public torch::nn::Module {
 public:
  explicit ViTImpl(const ViTOptions& options);

  // Class logits [B, num_classes] for images [B, C, H, W].
  torch::Tensor forward(const torch::Tensor& images);
  // The final normalised hidden states [B, 1 + num_patches, n_embd]; position 0 is [CLS].
  torch::Tensor features(const torch::Tensor& images);
  // Where the model looks: the attention rollout (core/blocks/attention_rollout.h) from the
  // token(s) the head reads to each patch, [B, H/p, W/p]; each map sums to at most 1 (the rest
  // stays on [CLS]). Evaluation only: runs without gradients.
  torch::Tensor attention_map(const torch::Tensor& images);
  // TorchScript: forward(images) -> class logits, for any batch of images of the trained size.
  Exportable exportable();

  ViTOptions options;
  torch::nn::Linear patch_embed{nullptr};  // C*p*p -> n_embd
  torch::Tensor cls_token;                 // [n_embd]
  PositionalEncoding wpe{nullptr};         // learned, 1 + num_patches positions
  Dropout drop{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  std::vector<TransformerBlock> blocks_;
};
TORCH_MODULE(ViT);

}  // namespace attnlab
