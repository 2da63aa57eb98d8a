#include "models/diffusion.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace attnlab {

torch::Tensor linear_betas(int64_t T) {
  const double scale = 1000.0 / static_cast<double>(T);
  return torch::linspace(scale * 1e-4, scale * 0.02, T, torch::kDouble);
}

torch::Tensor cosine_betas(int64_t T) {
  const double s = 0.008, pi = 3.14159265358979323846;
  auto f = [&](double t) { return std::pow(std::cos((t / static_cast<double>(T) + s) / (1 + s) * pi / 2), 2); };
  std::vector<double> betas(static_cast<size_t>(T));
  for (int64_t i = 0; i < T; ++i) betas[static_cast<size_t>(i)] = std::min(1 - f(i + 1) / f(i), 0.999);
  return torch::tensor(betas, torch::kDouble);
}

GaussianDiffusion::GaussianDiffusion(const DiffusionOptions& o) : options_(o) {
  TORCH_CHECK(o.timesteps >= 1, "diffusion needs at least one timestep, got ", o.timesteps);
  TORCH_CHECK(o.schedule == "linear" || o.schedule == "cosine", "noise schedule must be 'linear' or 'cosine', got '",
              o.schedule, "'");
  TORCH_CHECK(o.prediction == "epsilon" || o.prediction == "v", "prediction must be 'epsilon' or 'v', got '",
              o.prediction, "'");
  betas_ = o.schedule == "linear" ? linear_betas(o.timesteps) : cosine_betas(o.timesteps);
  TORCH_CHECK(betas_.max().item<double>() < 1, "the linear schedule's betas reach 0.02 * 1000 / T = ",
              betas_.max().item<double>(), ": it needs at least 21 timesteps, got ", o.timesteps);
  alpha_bar_ = torch::cumprod(1 - betas_, 0);
}

std::vector<double> GaussianDiffusion::alphas_cumprod_vector() const {
  const auto a = alpha_bar_.contiguous();
  return {a.data_ptr<double>(), a.data_ptr<double>() + a.numel()};
}

// alpha_bar[t] (or 1 - alpha_bar[t]) per row, shaped to broadcast over `like` [B, ...], in like's dtype.
torch::Tensor GaussianDiffusion::gather(const torch::Tensor& t, const torch::Tensor& like, bool one_minus) const {
  TORCH_CHECK(t.dim() == 1 && t.size(0) == like.size(0), "timesteps must be [B] for a batch of ", like.size(0),
              ", got ", t.sizes());
  auto a = alpha_bar_.to(like.device()).index_select(0, t.to(like.device(), torch::kLong));
  if (one_minus) a = 1 - a;
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[0] = like.size(0);
  return a.view(shape).to(like.scalar_type());
}

torch::Tensor GaussianDiffusion::q_sample(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise) const {
  return gather(t, x0, false).sqrt() * x0 + gather(t, x0, true).sqrt() * noise;
}

torch::Tensor GaussianDiffusion::target(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise) const {
  if (options_.prediction == "epsilon") return noise;
  return gather(t, x0, false).sqrt() * noise - gather(t, x0, true).sqrt() * x0;
}

torch::Tensor GaussianDiffusion::epsilon(const torch::Tensor& prediction, const torch::Tensor& x_t,
                                         const torch::Tensor& t) const {
  if (options_.prediction == "epsilon") return prediction;
  // x_t = sqrt(ab) x0 + sqrt(1 - ab) eps and v = sqrt(ab) eps - sqrt(1 - ab) x0 give
  // eps = sqrt(ab) v + sqrt(1 - ab) x_t.
  return gather(t, x_t, false).sqrt() * prediction + gather(t, x_t, true).sqrt() * x_t;
}

std::vector<int64_t> GaussianDiffusion::sampling_timesteps(int64_t steps) const {
  const int64_t T = options_.timesteps;
  TORCH_CHECK(steps >= 1 && steps <= T, "sampling steps must be in [1, ", T, "] (the model's diffusion_steps), got ", steps);
  std::vector<int64_t> ts;  // round(T (steps - i) / steps), halves up, in integers (as sample_dit.py)
  for (int64_t i = 0; i < steps; ++i) ts.push_back((2 * T * (steps - i) + steps) / (2 * steps) - 1);
  return ts;
}

torch::Tensor GaussianDiffusion::step(const torch::Tensor& x_t, int64_t t, int64_t t_prev, const torch::Tensor& eps_in,
                                      double eta, const torch::Tensor& noise, bool clip) const {
  const double ab = alpha_bar_[t].item<double>();
  const double ab_prev = t_prev >= 0 ? alpha_bar_[t_prev].item<double>() : 1.0;
  auto x0 = (x_t - std::sqrt(1 - ab) * eps_in) / std::sqrt(ab);  // the x_0 that x_t and the noise imply
  auto eps = eps_in;
  if (clip) {
    x0 = x0.clamp(-1, 1);
    eps = (x_t - std::sqrt(ab) * x0) / std::sqrt(1 - ab);  // the noise the clipped x_0 implies
  }
  // Song et al. (2021), eq. 12 and 16: sigma^2 = eta^2 (1 - ab_prev) / (1 - ab) (1 - ab / ab_prev).
  const double sigma = eta * std::sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev));
  auto x_prev = std::sqrt(ab_prev) * x0 + std::sqrt(std::max(0.0, 1 - ab_prev - sigma * sigma)) * eps;
  if (sigma > 0) x_prev = x_prev + sigma * noise;
  return x_prev;
}

torch::Tensor GaussianDiffusion::guided_epsilon(const DenoiseFn& denoise, const torch::Tensor& x_t,
                                                const torch::Tensor& t, const torch::Tensor& labels, double guidance,
                                                int64_t null_class) const {
  if (guidance == 1) return epsilon(denoise(x_t, t, labels).to(x_t.scalar_type()), x_t, t);
  TORCH_CHECK(null_class >= 0, "classifier-free guidance needs the model's 'no class' id");
  const auto x2 = torch::cat({x_t, x_t}), t2 = torch::cat({t, t});
  const auto out = epsilon(denoise(x2, t2, torch::cat({labels, torch::full_like(labels, null_class)})).to(x_t.scalar_type()), x2, t2);
  const auto cond = out.narrow(0, 0, x_t.size(0)), uncond = out.narrow(0, x_t.size(0), x_t.size(0));
  return uncond + guidance * (cond - uncond);
}

torch::Tensor GaussianDiffusion::sample(const DenoiseFn& denoise, const std::vector<int64_t>& shape,
                                        const torch::Tensor& labels, const SampleOptions& o) const {
  TORCH_CHECK(o.eta >= 0 && o.eta <= 1, "eta must be in [0, 1], got ", o.eta);
  TORCH_CHECK(!shape.empty() && labels.dim() == 1 && labels.size(0) == shape[0], "one label per sample: ", shape[0],
              " samples, labels ", labels.sizes());
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(o.seed);
  // The noise is drawn on the CPU, so a seed gives the same samples on every device.
  auto x = torch::randn(shape, gen, torch::kFloat).to(labels.device());
  const auto ts = sampling_timesteps(o.steps);
  for (size_t i = 0; i < ts.size(); ++i) {
    const int64_t t_prev = i + 1 < ts.size() ? ts[i + 1] : -1;
    const auto t = torch::full({shape[0]}, ts[i], labels.options().dtype(torch::kLong));
    const auto eps = guided_epsilon(denoise, x, t, labels, o.guidance, o.null_class);
    const auto noise = o.eta > 0 ? torch::randn(shape, gen, torch::kFloat).to(x.device()) : torch::Tensor();
    x = step(x, ts[i], t_prev, eps, o.eta, noise, o.clip);
  }
  return x;
}

}  // namespace attnlab
