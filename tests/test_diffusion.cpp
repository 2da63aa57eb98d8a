// Diffusion (models/diffusion.h) and its pieces: the noise schedules and the forward process
// against hand values, DDIM's determinism and exactness with a perfect noise oracle, DDPM's
// posterior, classifier-free guidance, adaLN-Zero's identity start, patches back to images,
// the timestep features, and the Fréchet distance against closed forms.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <cmath>

#include "core/blocks/condition_embedding.h"
#include "core/blocks/init.h"
#include "core/blocks/patches.h"
#include "core/blocks/transformer_block.h"
#include "core/metrics/frechet_distance.h"
#include "models/diffusion.h"
#include "models/dit.h"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

GaussianDiffusion diffusion(const std::string& schedule = "linear", int64_t T = 1000, const std::string& prediction = "epsilon") {
  DiffusionOptions o;
  o.timesteps = T, o.schedule = schedule, o.prediction = prediction;
  return GaussianDiffusion(o);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST_CASE("noise schedules: linear betas and the cosine alpha_bar against hand values") {
  const auto lin = diffusion("linear");
  CHECK(lin.betas()[0].item<double>() == Approx(1e-4).epsilon(1e-12));
  CHECK(lin.betas()[999].item<double>() == Approx(0.02).epsilon(1e-12));
  const double beta1 = 1e-4 + (0.02 - 1e-4) / 999;
  CHECK(lin.alphas_cumprod()[1].item<double>() == Approx((1 - 1e-4) * (1 - beta1)).epsilon(1e-12));
  // A chain of 100 steps is scaled by 1000 / 100: betas from 1e-3 to 0.2.
  const auto short_chain = diffusion("linear", 100);
  CHECK(short_chain.betas()[0].item<double>() == Approx(1e-3).epsilon(1e-12));
  CHECK(short_chain.betas()[99].item<double>() == Approx(0.2).epsilon(1e-12));
  // 20 steps would end at beta 1 (no signal left to divide by): refused.
  CHECK_THROWS_WITH(diffusion("linear", 20), Contains("it needs at least 21 timesteps"));

  // Cosine: alpha_bar(t) = f(t + 1) / f(0), f(t) = cos((t / T + 0.008) / 1.008 * pi / 2)^2,
  // where no beta was clipped (all but the last steps).
  const auto cos = diffusion("cosine");
  const double pi = 3.14159265358979323846;
  auto f = [&](double t) { return std::pow(std::cos((t / 1000 + 0.008) / 1.008 * pi / 2), 2); };
  for (int t : {0, 1, 250, 500, 900})
    CHECK(cos.alphas_cumprod()[t].item<double>() == Approx(f(t + 1) / f(0)).epsilon(1e-9));
  CHECK(cos.betas()[999].item<double>() == 0.999);  // clipped: f(1000) = 0
}

TEST_CASE("the forward process q(x_t | x_0): mean sqrt(alpha_bar) x_0, variance 1 - alpha_bar") {
  const auto d = diffusion("linear");
  const int64_t t = 300;
  const double ab = d.alphas_cumprod()[t].item<double>();
  const auto x0 = torch::full({20000, 1}, 0.7);
  const auto ts = torch::full({20000}, t, torch::kLong);
  // Exact parts: no noise gives the mean; no signal gives the scaled noise.
  CHECK(max_diff(d.q_sample(x0, ts, torch::zeros_like(x0)), torch::full_like(x0, std::sqrt(ab) * 0.7)) < 1e-6);
  torch::manual_seed(3);
  const auto noise = torch::randn_like(x0);
  CHECK(max_diff(d.q_sample(torch::zeros_like(x0), ts, noise), std::sqrt(1 - ab) * noise) < 1e-6);
  // Sampled: the moments by hand, within 4 standard errors.
  const auto xt = d.q_sample(x0, ts, noise);
  const double mean = xt.mean().item<double>(), var = xt.var().item<double>();
  CHECK(std::abs(mean - std::sqrt(ab) * 0.7) < 4 * std::sqrt((1 - ab) / 20000));
  CHECK(var == Approx(1 - ab).epsilon(0.04));
  // v-prediction: v = sqrt(ab) eps - sqrt(1 - ab) x0, and epsilon() inverts it at x_t.
  const auto dv = diffusion("linear", 1000, "v");
  const auto v = dv.target(x0, ts, noise);
  CHECK(max_diff(v, std::sqrt(ab) * noise - std::sqrt(1 - ab) * x0) < 1e-5);
  CHECK(max_diff(dv.epsilon(v, xt, ts), noise) < 1e-5);
}

TEST_CASE("sampling timesteps are spread evenly, trailing: the first is T - 1") {
  const auto d = diffusion("linear", 1000);
  CHECK(d.sampling_timesteps(4) == std::vector<int64_t>{999, 749, 499, 249});
  CHECK(d.sampling_timesteps(1) == std::vector<int64_t>{999});
  CHECK(d.sampling_timesteps(1000).back() == 0);
  // Halves round up: 1000 - 1000 / 16 = 937.5 -> 938.
  CHECK(d.sampling_timesteps(16)[1] == 937);
  CHECK(diffusion("linear", 100).sampling_timesteps(8) == std::vector<int64_t>{99, 87, 74, 62, 49, 37, 24, 12});
  CHECK_THROWS_WITH(d.sampling_timesteps(1001), Contains("sampling steps must be in [1, 1000]"));
}

TEST_CASE("DDIM with eta 0 is deterministic, and with a perfect noise oracle recovers each class's x_0") {
  // A toy distribution: class c is the single image x0[c]; the exact noise given x_t is then
  // (x_t - sqrt(ab) x0[c]) / sqrt(1 - ab). DDIM's update keeps x_t on the line
  // sqrt(ab_t) x0 + sqrt(1 - ab_t) z for one z: the oracle must see the same noise at every step.
  for (const std::string schedule : {"linear", "cosine"}) {
    const auto d = diffusion(schedule);
    const auto x0 = torch::tensor({0.5, -0.25, 0.9, -0.8, 0.0, 0.3}).view({2, 1, 3});  // 2 classes of [1, 3]
    std::vector<torch::Tensor> seen;
    const DenoiseFn oracle = [&](const torch::Tensor& xt, const torch::Tensor& t, const torch::Tensor& y) {
      const auto ab = d.alphas_cumprod().index_select(0, t).to(torch::kFloat).view({-1, 1, 1});
      seen.push_back((xt - ab.sqrt() * x0.index_select(0, y)) / (1 - ab).sqrt());
      return seen.back();
    };
    const auto labels = torch::tensor({0, 1, 1, 0}, torch::kLong);
    SampleOptions o;
    o.steps = 10, o.seed = 7;
    const auto a = d.sample(oracle, {4, 1, 3}, labels, o);
    REQUIRE(seen.size() == 10);
    for (const auto& z : seen) CHECK(max_diff(z, seen.front()) < 1e-3);
    CHECK(torch::equal(a, d.sample(oracle, {4, 1, 3}, labels, o)));
    CHECK(max_diff(a, x0.index_select(0, labels)) < 1e-4);
    o.steps = 3, o.seed = 8, o.clip = false;
    CHECK(max_diff(d.sample(oracle, {4, 1, 3}, labels, o), x0.index_select(0, labels)) < 1e-4);
  }
  // Without an oracle, another seed gives other samples and the same seed the same ones.
  const auto d = diffusion("linear", 50);
  const DenoiseFn zero = [](const torch::Tensor& xt, const torch::Tensor&, const torch::Tensor&) { return xt * 0.1; };
  SampleOptions o;
  o.steps = 5;
  const auto labels = torch::zeros({2}, torch::kLong);
  o.seed = 1;
  const auto s1 = d.sample(zero, {2, 4}, labels, o);
  o.seed = 2;
  CHECK(!torch::equal(s1, d.sample(zero, {2, 4}, labels, o)));
}

TEST_CASE("a DDIM step with eta 1 is DDPM's posterior q(x_{t-1} | x_t, x_0) with its variance") {
  const auto d = diffusion("linear", 1000);
  const int64_t t = 400;
  const double ab = d.alphas_cumprod()[t].item<double>(), ab_prev = d.alphas_cumprod()[t - 1].item<double>();
  const double beta = d.betas()[t].item<double>();
  torch::manual_seed(5);
  const auto x0 = torch::rand({3, 4}) * 1.6 - 0.8, eps = torch::randn({3, 4}), z = torch::randn({3, 4});
  const auto xt = std::sqrt(ab) * x0 + std::sqrt(1 - ab) * eps;
  // Ho et al. (2020), eq. 7: mean sqrt(ab_prev) beta / (1 - ab) x0 + sqrt(1 - beta) (1 - ab_prev) / (1 - ab) x_t,
  // variance beta (1 - ab_prev) / (1 - ab).
  const auto mean = std::sqrt(ab_prev) * beta / (1 - ab) * x0 + std::sqrt(1 - beta) * (1 - ab_prev) / (1 - ab) * xt;
  const double sigma = std::sqrt(beta * (1 - ab_prev) / (1 - ab));
  CHECK(max_diff(d.step(xt, t, t - 1, eps, /*eta=*/1, z, /*clip=*/false), mean + sigma * z) < 1e-5);
  // And eta 0 is the deterministic DDIM update.
  CHECK(max_diff(d.step(xt, t, t - 1, eps, 0, z, false), std::sqrt(ab_prev) * x0 + std::sqrt(1 - ab_prev) * eps) < 1e-5);
  // The last step (to t_prev = -1) returns x_0 itself.
  CHECK(max_diff(d.step(xt, t, -1, eps, 0, z, false), x0) < 1e-5);
}

TEST_CASE("classifier-free guidance: scale 1 is the conditional prediction, scale w extrapolates from the unconditional") {
  const auto d = diffusion("linear", 100);
  int calls = 0;
  // A denoiser whose output depends on the label, the null class (9) included.
  const DenoiseFn f = [&](const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) {
    ++calls;
    return x * 0.5 + y.to(torch::kFloat).view({-1, 1}) * 0.1 + t.to(torch::kFloat).view({-1, 1}) * 0.01;
  };
  torch::manual_seed(1);
  const auto x = torch::randn({3, 5});
  const auto t = torch::tensor({10, 20, 30}, torch::kLong), y = torch::tensor({1, 2, 3}, torch::kLong);
  const auto cond = f(x, t, y), uncond = f(x, t, torch::full_like(y, 9));
  calls = 0;
  CHECK(torch::allclose(d.guided_epsilon(f, x, t, y, 1, 9), cond));
  CHECK(calls == 1);  // one conditional pass, no unconditional one
  CHECK(torch::allclose(d.guided_epsilon(f, x, t, y, 4, 9), uncond + 4 * (cond - uncond), 1e-5, 1e-6));
  CHECK(torch::allclose(d.guided_epsilon(f, x, t, y, 0, 9), uncond));
  CHECK_THROWS_WITH(d.guided_epsilon(f, x, t, y, 2, -1), Contains("needs the model's 'no class' id"));
}

TEST_CASE("adaLN-Zero: a fresh conditioned block is the identity, its modulation moves it, and a fresh DiT outputs 0") {
  torch::manual_seed(0);
  TransformerBlock block(TransformerBlockOptions(16, 2).condition_dims(8));
  init_transformer_weights(*block, 2);  // zeroes the modulation again, whatever init did
  block->eval();
  const auto x = torch::randn({2, 5, 16}), c = torch::randn({2, 8});
  CHECK(torch::equal(block->forward(x, {}, {}, {}, nullptr, c), x));
  CHECK(!block->ln_1->weight.defined());  // its norms take scale and shift from the condition
  CHECK_THROWS_WITH(block->forward(x), Contains("needs a condition"));
  {
    torch::NoGradGuard no_grad;
    block->adaLN_modulation->linear->bias.normal_();
    block->adaLN_modulation->linear->weight.normal_(0, 0.1);
  }
  CHECK(max_diff(block->forward(x, {}, {}, {}, nullptr, c), x) > 1e-3);
  // The condition reaches each row separately: changing row 1's changes only row 1's output.
  auto c2 = c.clone();
  c2[1] += 1;
  const auto y1 = block->forward(x, {}, {}, {}, nullptr, c), y2 = block->forward(x, {}, {}, {}, nullptr, c2);
  CHECK(torch::equal(y1[0], y2[0]));
  CHECK(max_diff(y1[1], y2[1]) > 1e-4);
  CHECK_THROWS_WITH(TransformerBlock(TransformerBlockOptions(16, 2).condition_dims(8).norm_position("post")),
                    Contains("pre-norm encoder-form"));

  DiTOptions o;
  o.n_layer = 2, o.n_head = 2, o.n_embd = 16, o.patch_size = 2;
  o.channels = 1, o.image_height = 4, o.image_width = 6, o.num_classes = 3;
  DiT dit(o);
  const auto out = dit(torch::randn({2, 1, 4, 6}), torch::tensor({1, 500}), torch::tensor({0, 3}));
  CHECK(out.sizes() == torch::IntArrayRef({2, 1, 4, 6}));
  CHECK(out.abs().max().item<double>() == 0);
  o.patch_size = 4;
  CHECK_THROWS_WITH(DiT(o), Contains("model.patch_size (4) must divide the image size (4x6)"));
}

TEST_CASE("unpatchify inverts patchify, patch by patch") {
  torch::manual_seed(2);
  const auto images = torch::randn({2, 3, 6, 8});
  const auto patches = patchify(images, 2);
  CHECK(patches.sizes() == torch::IntArrayRef({2, 12, 12}));
  CHECK(torch::equal(unpatchify(patches, 2, 3, 4), images));
  // Patch 5 (grid row 1, column 1) of image 0, channel 2, is the crop at rows 2-3, columns 2-3.
  CHECK(torch::equal(patches[0][5].view({3, 2, 2})[2], images[0][2].slice(0, 2, 4).slice(1, 2, 4)));
}

TEST_CASE("timestep features: cos then sin of t times geometric frequencies") {
  const auto f = timestep_features(torch::tensor({0, 3}), 4);
  // dims 4: frequencies 1 and 10000^(-1/2) = 0.01.
  const std::vector<double> want = {1, 1, 0, 0, std::cos(3.0), std::cos(0.03), std::sin(3.0), std::sin(0.03)};
  for (int i = 0; i < 8; ++i) CHECK(f.view(-1)[i].item<double>() == Approx(want[static_cast<size_t>(i)]).margin(1e-6));
}

TEST_CASE("Fréchet distance: 0 for the same set, the closed form for Gaussians by hand") {
  torch::manual_seed(4);
  auto a = torch::randn({200, 3}, torch::kDouble);
  a = a - a.mean(0);  // centred: scaling it below moves no mean
  CHECK(std::abs(frechet_distance(a, a)) < 1e-9);
  // 1-D: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2, with the sets' own moments.
  const auto x = torch::tensor({1.0, 2.0, 4.0}).view({3, 1}), y = torch::tensor({0.0, 6.0}).view({2, 1});
  const double sx = std::sqrt(((1 - 7.0 / 3) * (1 - 7.0 / 3) + (2 - 7.0 / 3) * (2 - 7.0 / 3) + (4 - 7.0 / 3) * (4 - 7.0 / 3)) / 2);
  const double sy = std::sqrt(18.0);
  CHECK(frechet_distance(x, y) == Approx((7.0 / 3 - 3) * (7.0 / 3 - 3) + (sx - sy) * (sx - sy)).epsilon(1e-9));
  // Shifting one set by a vector adds its squared length; scaling by 2 changes the traces.
  const auto shifted = a + torch::tensor({1.0, -2.0, 0.5}, torch::kDouble);
  CHECK(frechet_distance(a, shifted) == Approx(1 + 4 + 0.25).epsilon(1e-9));
  const auto cov = (a - a.mean(0)).t().matmul(a - a.mean(0)) / 199;
  CHECK(frechet_distance(a, a * 2) == Approx(cov.trace().item<double>()).epsilon(1e-6));  // tr(S + 4S - 2 * 2S) = tr(S)
  CHECK_THROWS_WITH(frechet_distance(a, torch::randn({5, 2})), Contains("two feature sets"));
}
