#include "models/dit.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include "core/blocks/init.h"
#include "core/blocks/patches.h"
#include "models/transformer_keys.h"

namespace attnlab {

DiTOptions DiTOptions::read(ConfigSection& s) {
  DiTOptions o;
  read_block_keys(s, o);
  ATTNLAB_READ(s, o, patch_size, Range::closed(1, 1 << 16, "must divide the image's height and width"));
  DiffusionOptions& d = o.diffusion;
  d.timesteps = s.get("diffusion_steps", d.timesteps, Range::closed(1, 100000, "T, the noising chain's length"));
  d.schedule = s.choice("noise_schedule", d.schedule, {"linear", "cosine"});
  d.prediction = s.choice("prediction", d.prediction, {"epsilon", "v"});
  if (d.schedule == "linear" && d.timesteps < 21)
    s.fail("diffusion_steps", "the linear schedule's last beta is 0.02 * 1000 / T: T must be at least 21 (or use noise_schedule: cosine)");
  if (o.norm_position != "pre") s.fail("norm_position", "adaLN-Zero conditions pre-norm blocks only");
  if (relative_positions(o.pos_encoding) && o.pos_encoding != "none")
    s.fail("pos_encoding", "a DiT adds its positions to the patches: learned, sinusoidal or none");
  return o;
}

DiTImpl::DiTImpl(const DiTOptions& o) : options(o) {
  if (o.image_height % o.patch_size != 0 || o.image_width % o.patch_size != 0)
    throw std::runtime_error(fmt::format("model.patch_size ({}) must divide the image size ({}x{})", o.patch_size,
                                         o.image_height, o.image_width));
  TORCH_CHECK(o.num_classes >= 1, "a class-conditional DiT needs at least one class");
  const int64_t patch_dims = o.channels * o.patch_size * o.patch_size;
  patch_embed = register_module("patch_embed", torch::nn::Linear(patch_dims, o.n_embd));
  wpe = register_module("wpe", PositionalEncoding(PositionalEncodingOptions(o.num_patches(), o.n_embd).kind(o.pos_encoding)));
  t_embed = register_module("t_embed", TimestepEmbedding(TimestepEmbeddingOptions(o.n_embd)));
  y_embed = register_module("y_embed", ClassEmbedding(o.num_classes, o.n_embd));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layer; ++i) {
    blocks_.emplace_back(block_options(o, /*causal=*/false).condition_dims(o.n_embd));
    h->push_back(blocks_.back());
  }
  ln_f = register_module("ln_f", LayerNorm(norm_options(o).affine(false).eps(1e-6)));
  adaLN_modulation = register_module("adaLN_modulation", AdaLNModulation(AdaLNModulationOptions(o.n_embd, o.n_embd, 2)));
  head = register_module("head", torch::nn::Linear(o.n_embd, patch_dims));
  init_transformer_weights(*this, o.n_layer);  // zeroes every adaLN_modulation
  torch::NoGradGuard no_grad;
  head->weight.zero_(), head->bias.zero_();  // DiT: the output starts at zero
}

torch::Tensor DiTImpl::forward(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& labels) {
  const DiTOptions& o = options;
  TORCH_CHECK(x_t.dim() == 4 && x_t.size(1) == o.channels && x_t.size(2) == o.image_height && x_t.size(3) == o.image_width,
              "DiT expects images [B, ", o.channels, ", ", o.image_height, ", ", o.image_width, "], got ", x_t.sizes());
  auto x = patch_embed(patchify(x_t, o.patch_size));  // [B, N, C]
  x = wpe->apply(x, positions_like(x));
  const auto c = t_embed(t) + y_embed(labels);  // [B, C]: the condition of every block
  for (auto& block : blocks_) x = block->forward(x, torch::Tensor(), torch::Tensor(), torch::Tensor(), nullptr, c);
  const auto m = adaLN_modulation(c);  // shift, scale
  x = head(modulate(ln_f(x), m[0], m[1]));  // [B, N, channels*p*p]
  return unpatchify(x, o.patch_size, o.grid_height(), o.grid_width());
}

Exportable DiTImpl::exportable() {
  const DiTOptions& o = options;
  ExportMethod fwd{"forward", {"x_t", "t", "labels"},
                   fmt::format("forward(x_t: float32 [B, channels, height, width] in the [-1, 1] scale, t: int64 [B] "
                               "in [0, diffusion_steps), labels: int64 [B] in [0, num_classes], num_classes = no "
                               "class) -> the {} prediction: float32 [B, channels, height, width]",
                               o.diffusion.prediction),
                   [this](const Tensors& in) { return Tensors{forward(in[0], in[1], in[2])}; },
                   [o](int64_t B, int64_t, uint64_t seed) {
                     auto gen = at::detail::createCPUGenerator(seed);
                     return Tensors{torch::randn({B, o.channels, o.image_height, o.image_width}, gen),
                                    torch::randint(o.diffusion.timesteps, {B}, gen, torch::kLong),
                                    torch::randint(o.num_classes + 1, {B}, gen, torch::kLong)};
                   }};
  fwd.inputs = {{torch::kFloat,
                 {{"B"}, {"channels", o.channels, 0, "channels"}, {"height", o.image_height, 0, "image height"},
                  {"width", o.image_width, 0, "image width"}},
                 "noisy images"},
                {torch::kLong, {{"B", 0, 0, "", "x_t.0"}}, "timesteps", o.diffusion.timesteps, -1, false,
                 "model.diffusion_steps"},
                {torch::kLong, {{"B", 0, 0, "", "x_t.0"}}, "class ids (num_classes = no class)", o.num_classes + 1, -1,
                 false, "the number of classes + 1 (the no-class id)"}};
  Exportable e{{fwd}, /*max_length=*/0};
  // Everything a sampler outside attnlab needs (examples/python/sample_dit.py).
  const GaussianDiffusion diffusion(o.diffusion);
  e.model_facts = {{"diffusion_steps", o.diffusion.timesteps}, {"noise_schedule", o.diffusion.schedule},
                   {"prediction", o.diffusion.prediction}, {"null_class", o.num_classes},
                   {"image_scale", "[-1, 1]: pixel / 255 * 2 - 1"},
                   {"alphas_cumprod", diffusion.alphas_cumprod_vector()}};
  return e;
}

}  // namespace attnlab
