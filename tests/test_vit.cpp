// The Vision Transformer: patchify, the [CLS] token, pooling, attention rollout against a hand
// computation, attention maps, a clear error for a patch size that does not fit, and
// overfitting a tiny batch.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <tuple>

#include "core/blocks/attention_rollout.h"
#include "core/util/precision.h"
#include "models/vit.h"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

ViTOptions tiny_options(const std::string& pool = "cls") {
  ViTOptions o;
  o.patch_size = 7, o.n_layer = 2, o.n_head = 2, o.n_embd = 32, o.pool = pool;
  o.channels = 1, o.image_height = 28, o.image_width = 28, o.num_classes = 10;
  return o;
}

}  // namespace

TEST_CASE("patchify: patch i is the image crop at grid row i / (W/p), column i % (W/p)") {
  torch::manual_seed(0);
  const auto images = torch::randn({2, 3, 8, 12});
  const auto patches = patchify(images, 4);
  REQUIRE(patches.sizes() == torch::IntArrayRef({2, 6, 48}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 6; ++i) {
      const int64_t row = i / 3, col = i % 3;
      const auto crop = images[b].narrow(1, row * 4, 4).narrow(2, col * 4, 4).flatten();  // channel, row, column
      CHECK(torch::equal(patches[b][i], crop));
    }
}

TEST_CASE("ViT: the [CLS] token is prepended and the head reads it (or the mean of the patches)") {
  torch::manual_seed(1);
  ViT vit(tiny_options());
  vit->eval();
  const auto images = torch::randn({3, 1, 28, 28});
  const auto hidden = vit->features(images);
  REQUIRE(hidden.sizes() == torch::IntArrayRef({3, 1 + 16, 32}));
  CHECK(torch::allclose(vit->forward(images), vit->head(hidden.select(1, 0)), 1e-5, 1e-6));
  // The token at position 0 is the learned [CLS] vector: changing it changes the logits.
  const auto before = vit->forward(images);
  {
    torch::NoGradGuard no_grad;
    vit->cls_token.add_(torch::randn_like(vit->cls_token));  // not a constant: LayerNorm removes those
  }
  CHECK_FALSE(torch::allclose(vit->forward(images), before, 1e-4, 1e-5));

  ViT mean(tiny_options("mean"));
  mean->eval();
  const auto h = mean->features(images);
  CHECK(torch::allclose(mean->forward(images), mean->head(h.narrow(1, 1, 16).mean(1)), 1e-5, 1e-6));
}

TEST_CASE("ViT: a patch size that does not divide the image is a clear error") {
  ViTOptions o = tiny_options();
  o.patch_size = 5;
  CHECK_THROWS_WITH(ViT(o), Contains("model.patch_size (5) must divide the image size (28x28): one of 1, 2, 4, 7, 14, 28"));
  ViT vit(tiny_options());
  CHECK_THROWS_WITH(vit->forward(torch::zeros({1, 3, 28, 28})), Contains("ViT expects images [B, 1, 28, 28]"));
}

TEST_CASE("ViT with a convolutional stem: tokens from the stem's map, each seeing only its own pixels") {
  torch::manual_seed(4);
  ViTOptions o = tiny_options();
  o.stem_layers = 2, o.stem_channels = 8, o.patch_size = 1;  // 28 -> 14 -> 7: 49 tokens of 8 + 16 channels
  ViT vit(o);
  vit->eval();  // BatchNorm's running statistics: each image on its own
  REQUIRE(vit->stem);
  CHECK(vit->patch_embed->weight.sizes() == torch::IntArrayRef({32, 16}));
  const auto images = torch::randn({2, 1, 28, 28});
  const auto tokens = vit->patch_tokens(images);
  REQUIRE(tokens.sizes() == torch::IntArrayRef({2, 49, 32}));
  REQUIRE(vit->features(images).sizes() == torch::IntArrayRef({2, 50, 32}));
  CHECK(vit->attention_map(images).sizes() == torch::IntArrayRef({2, 7, 7}));
  // Two 3x3 stride-2 layers with padding 1: token (i, j) sees pixels 4i-3..4i+3 (and the same
  // columns), so pixel (4, 4) reaches token (1, 1) only, pixel (27, 0) token (6, 0) only.
  for (const auto& [y, x, token] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{4, 4, 8}, {27, 0, 42}}) {
    auto changed = images.clone();
    changed.index_put_({0, 0, y, x}, changed.index({0, 0, y, x}) + 5.0);
    const auto moved = (vit->patch_tokens(changed) - tokens).abs().amax(-1);  // [2, 49]
    for (int64_t i = 0; i < 49; ++i) {
      INFO("pixel (" << y << ", " << x << "), token " << i);
      CHECK((moved[0][i].item<double>() > 1e-6) == (i == token));
    }
    CHECK(moved[1].max().item<double>() == 0.0);
  }
  // The parameter names of a ViT without a stem are today's; with one, the stem's are added.
  auto names = [](ViT& m) {
    std::vector<std::string> keys;
    for (const auto& p : m->named_parameters()) keys.push_back(p.key());
    return keys;
  };
  ViT plain(tiny_options());
  const auto plain_names = names(plain), stem_names = names(vit);
  CHECK(std::find(plain_names.begin(), plain_names.end(), "patch_embed.weight") != plain_names.end());
  CHECK(std::none_of(plain_names.begin(), plain_names.end(), [](const std::string& n) { return n.rfind("stem", 0) == 0; }));
  CHECK(stem_names.size() == plain_names.size() + 2 * 3);  // per layer: a kernel, BatchNorm's weight and bias
  CHECK(std::find(stem_names.begin(), stem_names.end(), "stem.layers.0.weight") != stem_names.end());
  // Its weights by hand (the memory estimate counts them): 1x8 and 8x16 kernels of 3x3, and a
  // scale and shift per BatchNorm channel: 72 + 16 + 1152 + 32.
  int64_t stem_weights = 0;
  for (const auto& p : vit->stem->parameters()) stem_weights += p.numel();
  CHECK(stem_weights == 1272);
  CHECK(o.stem().parameter_count() == 1272);
  // The patches must divide the stem's map, not the image: 7x7 has no patch of 2.
  o.patch_size = 2;
  CHECK_THROWS_WITH(ViT(o), Contains("model.patch_size (2) must divide the 7x7 map of the 2-layer stem (model.stem_layers): "
                                     "one of 1, 7, or another model.stem_layers"));
  o.stem_layers = 3, o.patch_size = 1;  // 28 -> 14 -> 7 -> 4
  ViT three(o);
  CHECK(three->patch_tokens(images).sizes() == torch::IntArrayRef({2, 16, 32}));
  // Training in bf16: BatchNorm on batch statistics of bf16 convolutions, float32 gradients.
  three->train();
  {
    AutocastScope autocast("bf16", torch::kCPU);
    three->forward(images).to(torch::kFloat).pow(2).mean().backward();
  }
  for (const auto& p : three->named_parameters()) {
    INFO(p.key());
    REQUIRE(p.value().grad().defined());
    CHECK(p.value().grad().scalar_type() == torch::kFloat);
    CHECK(p.value().grad().isfinite().all().item<bool>());
  }
}

TEST_CASE("attention rollout of a hand-made 2-layer attention equals the hand computation") {
  // Layer 1, two heads: their mean is [[.75, .25], [.25, .75]]; with the residual,
  // A1 = .5 A + .5 I = [[.875, .125], [.125, .875]].
  const auto layer1 = torch::tensor({1.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 1.0}).view({1, 2, 2, 2});
  // Layer 2, one head [[.2, .8], [.6, .4]]: A2 = [[.6, .4], [.3, .7]].
  const auto layer2 = torch::tensor({0.2, 0.8, 0.6, 0.4}).view({1, 1, 2, 2});
  // Rollout = A2 A1 = [[.6*.875 + .4*.125, .6*.125 + .4*.875], [.3*.875 + .7*.125, .3*.125 + .7*.875]].
  const auto expected = torch::tensor({0.575, 0.425, 0.35, 0.65}).view({1, 2, 2});
  const auto rollout = attention_rollout({layer1.to(torch::kFloat), layer2.to(torch::kFloat)});
  CHECK(torch::allclose(rollout, expected.to(torch::kFloat), 1e-6, 1e-6));
  // No residual: the plain product of the head means.
  const auto plain = attention_rollout({layer1.to(torch::kFloat), layer2.to(torch::kFloat)}, 0.0);
  const auto by_hand = torch::tensor({0.2 * 0.75 + 0.8 * 0.25, 0.2 * 0.25 + 0.8 * 0.75, 0.6 * 0.75 + 0.4 * 0.25,
                                      0.6 * 0.25 + 0.4 * 0.75}).view({1, 2, 2});
  CHECK(torch::allclose(plain, by_hand.to(torch::kFloat), 1e-6, 1e-6));
}

TEST_CASE("ViT attention maps: one value per patch, the rollout of the [CLS] row, nothing kept afterwards") {
  torch::manual_seed(2);
  ViT vit(tiny_options());
  vit->eval();
  const auto images = torch::randn({2, 1, 28, 28});
  const auto maps = vit->attention_map(images);
  REQUIRE(maps.sizes() == torch::IntArrayRef({2, 4, 4}));
  CHECK(maps.min().item<double>() >= 0);
  // The [CLS] row of the rollout sums to 1: what the patches get is 1 minus what stays on [CLS].
  std::vector<torch::Tensor> layers;
  for (auto& m : vit->h->children()) {
    auto attn = m->as<TransformerBlockImpl>()->attn;
    CHECK_FALSE(attn->keep_attention);
    CHECK_FALSE(attn->last_attention.defined());
    attn->keep_attention = true;
  }
  vit->features(images);
  for (auto& m : vit->h->children()) layers.push_back(m->as<TransformerBlockImpl>()->attn->last_attention);
  const auto cls_row = attention_rollout(layers).select(1, 0);  // [B, 17]
  CHECK(torch::allclose(maps.flatten(1), cls_row.narrow(1, 1, 16), 1e-6, 1e-7));
  CHECK(torch::allclose(maps.flatten(1).sum(1) + cls_row.select(1, 0), torch::ones({2}), 1e-5, 1e-6));
}

TEST_CASE("ViT overfits a tiny batch of random images with random labels to 100%") {
  torch::manual_seed(3);
  ViT vit(tiny_options());
  const auto images = torch::randn({16, 1, 28, 28});
  const auto labels = torch::randint(0, 10, {16}, torch::kLong);
  torch::optim::Adam opt(vit->parameters(), torch::optim::AdamOptions(3e-3));
  double accuracy = 0;
  for (int step = 0; step < 300 && accuracy < 1.0; ++step) {
    auto loss = torch::nn::functional::cross_entropy(vit->forward(images), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    torch::NoGradGuard no_grad;
    accuracy = vit->forward(images).argmax(-1).eq(labels).to(torch::kDouble).mean().item<double>();
  }
  CHECK(accuracy == 1.0);
}
