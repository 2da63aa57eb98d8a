#include "models/vit.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/blocks/attention_rollout.h"
#include "core/blocks/init.h"
#include "models/transformer_keys.h"

namespace attnlab {

ViTOptions ViTOptions::read(ConfigSection s) {
  ViTOptions o;
  read_block_keys(s, o);
  ATTNLAB_READ(s, o, patch_size, Range::closed(1, 1 << 16, "must divide the height and width of the image, or of the stem's map"));
  ATTNLAB_READ(s, o, stem_layers, Range::closed(0, 8, "0 = no convolutional stem"));
  ATTNLAB_READ(s, o, stem_channels, Range::closed(1, 4096));
  o.pool = s.choice("pool", o.pool, {"cls", "mean"});
  return o;
}

ViTImpl::ViTImpl(const ViTOptions& o) : options(o) {
  if (o.map_height() % o.patch_size != 0 || o.map_width() % o.patch_size != 0) {
    const std::string map = o.stem_layers > 0 ? fmt::format("the {}x{} map of the {}-layer stem (model.stem_layers)",
                                                            o.map_height(), o.map_width(), o.stem_layers)
                                              : fmt::format("the image size ({}x{})", o.image_height, o.image_width);
    std::vector<int64_t> fitting;  // the patch sizes that divide both sides
    for (int64_t p = 1; p <= std::min(o.map_height(), o.map_width()); ++p)
      if (o.map_height() % p == 0 && o.map_width() % p == 0) fitting.push_back(p);
    throw std::runtime_error(fmt::format("model.patch_size ({}) must divide {}: one of {}{}", o.patch_size, map,
                                         fmt::join(fitting, ", "),
                                         o.stem_layers > 0 ? ", or another model.stem_layers" : ""));
  }
  TORCH_CHECK(o.num_classes > 1, "a ViT classifier needs at least 2 classes");
  // Registered only when used, so that a ViT without a stem keeps its parameter names.
  if (o.stem_layers > 0) stem = register_module("stem", ConvStem(o.stem()));
  patch_embed =
      register_module("patch_embed", torch::nn::Linear(o.map_channels() * o.patch_size * o.patch_size, o.n_embd));
  cls_token = register_parameter("cls_token", torch::zeros({o.n_embd}));
  wpe = register_module("wpe", PositionalEncoding(PositionalEncodingOptions(1 + o.num_patches(), o.n_embd).kind(o.pos_encoding)));
  drop = register_module("drop", Dropout(o.dropout));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layer; ++i) {
    blocks_.emplace_back(block_options(o, /*causal=*/false));
    h->push_back(blocks_.back());
  }
  ln_f = register_module("ln_f", LayerNorm(norm_options(o)));
  head = register_module("head", torch::nn::Linear(o.n_embd, o.num_classes));
  init_transformer_weights(*this, o.n_layer);  // matrices only: the stem's 4-D kernels keep Kaiming's
  torch::NoGradGuard no_grad;
  cls_token.normal_(0.0, 0.02);  // a vector: left alone by the matrix initialisation
}

torch::Tensor ViTImpl::patch_tokens(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == options.channels && images.size(2) == options.image_height &&
                  images.size(3) == options.image_width,
              "ViT expects images [B, ", options.channels, ", ", options.image_height, ", ", options.image_width,
              "], got ", images.sizes());
  return patch_embed(patchify(stem ? stem(images) : images, options.patch_size));
}

torch::Tensor ViTImpl::features(const torch::Tensor& images) {
  auto tokens = patch_tokens(images);  // [B, N, C]
  // [B, 1, C]; expand_as (not a size read into C++) keeps a traced model batch-generic.
  auto cls = cls_token.view({1, 1, -1}).expand_as(tokens.narrow(1, 0, 1));
  auto x = torch::cat({cls, tokens}, 1);
  x = drop(wpe->apply(x, positions_like(x)));
  for (auto& block : blocks_) x = block(x);
  return ln_f(x);
}

torch::Tensor ViTImpl::pooled(const torch::Tensor& images) {
  auto x = features(images);
  // The [CLS] token, or the mean of the patch tokens ([CLS] is still there to attend to).
  return options.pool == "cls" ? x.select(1, 0) : x.slice(1, 1).mean(1);
}

torch::Tensor ViTImpl::forward(const torch::Tensor& images) { return head(pooled(images)); }

torch::Tensor ViTImpl::attention_map(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  for (auto& block : blocks_) block->attn->keep_attention = true;
  features(images);
  std::vector<torch::Tensor> layers;
  for (auto& block : blocks_) {
    layers.push_back(block->attn->last_attention);
    block->attn->keep_attention = false, block->attn->last_attention = torch::Tensor();
  }
  auto rollout = attention_rollout(layers);  // [B, T, T]
  const int64_t n = options.num_patches();
  auto from = options.pool == "cls" ? rollout.select(1, 0) : rollout.narrow(1, 1, n).mean(1);  // [B, T]
  return from.narrow(1, 1, n).reshape({-1, options.grid_height(), options.grid_width()});
}

Exportable ViTImpl::exportable() {
  const ViTOptions& o = options;
  ExportMethod fwd{"forward", {"images"},
                   "forward(images: float32 [B, channels, height, width], normalised) -> class logits: float32 "
                   "[B, num_classes]",
                   [this](const Tensors& in) { return Tensors{forward(in[0])}; },
                   [o](int64_t B, int64_t, uint64_t seed) {
                     auto gen = at::detail::createCPUGenerator(seed);
                     return Tensors{torch::randn({B, o.channels, o.image_height, o.image_width}, gen)};
                   }};
  fwd.inputs = {{torch::kFloat,
                 {{"B"}, {"channels", o.channels, 0, "channels"}, {"height", o.image_height, 0, "image height"},
                  {"width", o.image_width, 0, "image width"}},
                 "images, normalised"}};
  return {{fwd}, /*max_length=*/0};
}

}  // namespace attnlab
