// The Vision Transformer: patchify, the [CLS] token, pooling, attention rollout against a hand
// computation, attention maps, a clear error for a patch size that does not fit, and
// overfitting a tiny batch.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "core/blocks/attention_rollout.h"
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
  CHECK_THROWS_WITH(ViT(o), Contains("model.patch_size (5) must divide the image size (28x28)"));
  ViT vit(tiny_options());
  CHECK_THROWS_WITH(vit->forward(torch::zeros({1, 3, 28, 28})), Contains("ViT expects images [B, 1, 28, 28]"));
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
