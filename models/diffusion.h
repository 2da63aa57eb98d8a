// Gaussian diffusion (Ho et al. 2020, "Denoising Diffusion Probabilistic Models"): the
// noise schedule, the forward process q(x_t | x_0), the training target, and sampling by
// DDIM (Song et al. 2021) with any number of steps and eta in [0, 1] (eta 1 over every
// timestep is DDPM's ancestral sampler), with classifier-free guidance (Ho & Salimans 2022).
// Timesteps are 0-based: t in [0, T), alpha_bar[t] = prod_{s <= t} (1 - beta_s).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace attnlab {

struct DiffusionOptions {
  int64_t timesteps = 1000;         // T
  std::string schedule = "linear";  // "linear" (DDPM: beta from 1e-4 to 0.02, times 1000 / T) | "cosine" (Nichol & Dhariwal 2021)
  std::string prediction = "epsilon";  // what the network predicts: "epsilon" (the noise) | "v" (Salimans & Ho 2022)
};

// DDPM's betas: linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T) (the 1000 / T keeps a shorter
// chain as noisy at its end: Improved DDPM's rule). [T] double.
torch::Tensor linear_betas(int64_t timesteps);
// Improved DDPM's cosine schedule: alpha_bar(t) = f(t + 1) / f(0), f(t) = cos((t / T + s) /
// (1 + s) * pi / 2)^2, s = 0.008, and betas clipped at 0.999. [T] double.
torch::Tensor cosine_betas(int64_t timesteps);

// The denoiser as the sampler sees it: (x_t [B, ...], t [B] int64, labels [B] int64) -> the
// network's raw prediction (of `prediction`'s kind), any float dtype.
using DenoiseFn = std::function<torch::Tensor(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& labels)>;

struct SampleOptions {
  int64_t steps = 50;     // denoising steps, spaced evenly over [0, T) ("trailing": the first is T - 1)
  double eta = 0;         // 0 = DDIM (deterministic given the starting noise), 1 = DDPM's posterior noise
  double guidance = 1;    // classifier-free guidance scale; 1 = the conditional prediction alone
  int64_t null_class = -1;  // the "no class" id guidance contrasts with (required when guidance != 1)
  bool clip = true;       // clip each predicted x_0 to [-1, 1] (data scaled to that range)
  uint64_t seed = 0;      // the starting noise and eta's noise
};

class GaussianDiffusion {
 public:
  explicit GaussianDiffusion(const DiffusionOptions& options);

  int64_t timesteps() const { return options_.timesteps; }
  const torch::Tensor& betas() const { return betas_; }                 // [T] double
  const torch::Tensor& alphas_cumprod() const { return alpha_bar_; }    // [T] double: alpha_bar
  std::vector<double> alphas_cumprod_vector() const;

  // q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I), sampled with the given noise.
  torch::Tensor q_sample(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise) const;
  // What the network is trained to output: the noise (epsilon) or v = sqrt(ab) noise - sqrt(1 - ab) x_0.
  torch::Tensor target(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise) const;
  // The noise a prediction implies at x_t (the identity for epsilon-prediction).
  torch::Tensor epsilon(const torch::Tensor& prediction, const torch::Tensor& x_t, const torch::Tensor& t) const;

  // The timesteps a sampler of `steps` steps visits, descending: round(T - i T / steps) - 1,
  // halves rounded up. Throws unless 1 <= steps <= T.
  std::vector<int64_t> sampling_timesteps(int64_t steps) const;
  // One step from x_t (all rows at timestep t) to t_prev (-1: x_0): the DDIM update with eta,
  // given the noise estimate eps; `noise` is used when eta > 0.
  torch::Tensor step(const torch::Tensor& x_t, int64_t t, int64_t t_prev, const torch::Tensor& eps, double eta,
                     const torch::Tensor& noise, bool clip) const;
  // Samples of `shape` (float32, in [-1, 1] when clipping) for one label per row, from
  // Gaussian noise drawn from options.seed. Runs without gradients.
  torch::Tensor sample(const DenoiseFn& denoise, const std::vector<int64_t>& shape, const torch::Tensor& labels,
                       const SampleOptions& options) const;
  // Classifier-free guidance: eps_uncond + g (eps_cond - eps_uncond), in one batch of 2B rows;
  // g == 1 runs the conditional half only. Returns the noise estimate [B, ...].
  torch::Tensor guided_epsilon(const DenoiseFn& denoise, const torch::Tensor& x_t, const torch::Tensor& t,
                               const torch::Tensor& labels, double guidance, int64_t null_class) const;

 private:
  torch::Tensor gather(const torch::Tensor& t, const torch::Tensor& like, bool one_minus) const;
  DiffusionOptions options_;
  torch::Tensor betas_, alpha_bar_;
};

}  // namespace attnlab
