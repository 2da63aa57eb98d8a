// A Diffusion Transformer (Peebles & Xie 2023, "Scalable Diffusion Models with
// Transformers"): the noisy image x_t cut into patches (core/blocks/patches.h, the ViT's
// tokens), each projected to n_embd, plus position embeddings; n_layer shared
// TransformerBlocks conditioned by adaLN-Zero on the sum of a timestep and a class embedding
// (core/blocks/adaptive_norm.h, condition_embedding.h); a final adaLN norm and a Linear back to
// patch pixels, zero-initialised, then unpatchified to the image's shape. The output is the
// diffusion's prediction (models/diffusion.h: the noise, or v).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/blocks/adaptive_norm.h"
#include "core/blocks/condition_embedding.h"
#include "core/blocks/layer_norm.h"
#include "core/blocks/positional.h"
#include "core/blocks/transformer_block.h"
#include "core/config/section.h"
#include "core/export/exportable.h"
#include "models/block_keys.h"
#include "models/diffusion.h"

namespace attnlab {

// One field per `model:` key (see docs/config.md): the block keys (positions over the patch
// index, row by row), the diffusion's keys, and:
struct DiTOptions : BlockKeys {
  DiTOptions() { n_layer = 6, n_head = 6, n_embd = 192, pos_encoding = "sinusoidal"; }
  int64_t patch_size = 4;  // must divide the image's height and width
  DiffusionOptions diffusion;  // diffusion_steps, noise_schedule, prediction

  // From the data (ModelContext), not the config:
  int64_t channels = 1, image_height = 0, image_width = 0;
  int64_t num_classes = 0;

  static DiTOptions read(ConfigSection& s);
  int64_t grid_height() const { return image_height / patch_size; }
  int64_t grid_width() const { return image_width / patch_size; }
  int64_t num_patches() const { return grid_height() * grid_width(); }
};

class DiTImpl : public torch::nn::Module {
 public:
  explicit DiTImpl(const DiTOptions& options);

  // x_t [B, C, H, W] (images scaled to [-1, 1], noised to timestep t), t [B] int64 in [0, T),
  // labels [B] int64 in [0, num_classes] (num_classes = no class) -> the prediction [B, C, H, W].
  torch::Tensor forward(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& labels);
  int64_t null_class() const { return options.num_classes; }
  // TorchScript: forward(x_t, t, labels) -> the prediction, for any batch.
  Exportable exportable();

  DiTOptions options;
  torch::nn::Linear patch_embed{nullptr};  // C*p*p -> n_embd
  PositionalEncoding wpe{nullptr};         // num_patches positions
  TimestepEmbedding t_embed{nullptr};
  ClassEmbedding y_embed{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};                      // no weights: adaLN_modulation sets its shift and scale
  AdaLNModulation adaLN_modulation{nullptr};    // the final layer's shift and scale
  torch::nn::Linear head{nullptr};              // n_embd -> C*p*p, zero-initialised

 private:
  std::vector<TransformerBlock> blocks_;
};
TORCH_MODULE(DiT);

}  // namespace attnlab
