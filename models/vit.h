// A Vision Transformer (Dosovitskiy et al., 2021) built from the shared blocks in core/: the
// image (or, with stem_layers > 0, the feature map of a convolutional stem, Xiao et al. 2021)
// cut into patch_size x patch_size patches, each flattened and projected to n_embd (one token
// per patch), a learned [CLS] token in front, learned position embeddings, n_layer
// bidirectional TransformerBlocks (pre-norm and GELU by default), a final LayerNorm and a
// linear head on the [CLS] token (or on the mean of the patch tokens).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/blocks/conv_stem.h"
#include "core/blocks/dropout.h"
#include "core/blocks/layer_norm.h"
#include "core/blocks/patches.h"
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
  int64_t patch_size = 4;  // must divide the height and width of the image (or of the stem's map)
  int64_t stem_layers = 0;    // 3x3 stride-2 convolutions before the patches (core/blocks/conv_stem.h); 0 = none
  int64_t stem_channels = 32;  // of the stem's first layer, doubled by each next one
  std::string pool = "cls";  // what the head reads: "cls" (the [CLS] token) or "mean" (of the patch tokens)

  // From the data (ModelContext), not the config:
  int64_t channels = 1, image_height = 0, image_width = 0;
  int64_t num_classes = 0;

  static ViTOptions read(ConfigSection s);
  ConvStemOptions stem() const { return ConvStemOptions(channels, stem_layers, stem_channels); }
  // What the patches are cut from: the image, or the stem's feature map.
  int64_t map_channels() const { return stem_layers > 0 ? stem().out_channels() : channels; }
  int64_t map_height() const { return stem_layers > 0 ? stem().out_size(image_height) : image_height; }
  int64_t map_width() const { return stem_layers > 0 ? stem().out_size(image_width) : image_width; }
  int64_t grid_height() const { return map_height() / patch_size; }
  int64_t grid_width() const { return map_width() / patch_size; }
  int64_t num_patches() const { return grid_height() * grid_width(); }
};

class ViTImpl : public torch::nn::Module {
 public:
  explicit ViTImpl(const ViTOptions& options);

  // Class logits [B, num_classes] for images [B, C, H, W].
  torch::Tensor forward(const torch::Tensor& images);
  // The patch tokens before [CLS] and positions: [B, num_patches, n_embd], row by row.
  torch::Tensor patch_tokens(const torch::Tensor& images);
  // The final normalised hidden states [B, 1 + num_patches, n_embd]; position 0 is [CLS].
  torch::Tensor features(const torch::Tensor& images);
  // What the head reads, [B, n_embd]: the [CLS] state or the mean of the patch states (pool).
  torch::Tensor pooled(const torch::Tensor& images);
  // Where the model looks: the attention rollout (core/blocks/attention_rollout.h) from the
  // token(s) the head reads to each patch, [B, H/p, W/p]; each map sums to at most 1 (the rest
  // stays on [CLS]). Evaluation only: runs without gradients.
  torch::Tensor attention_map(const torch::Tensor& images);
  // TorchScript: forward(images) -> class logits, for any batch of images of the trained size.
  Exportable exportable();

  ViTOptions options;
  ConvStem stem{nullptr};                  // only with stem_layers > 0
  torch::nn::Linear patch_embed{nullptr};  // map_channels*p*p -> n_embd
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
