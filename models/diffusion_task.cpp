#include "models/diffusion_task.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

namespace attnlab {

DiffusionTask::DiffusionTask(Denoiser model, GaussianDiffusion diffusion, DiffusionTaskOptions options)
    : model_(std::move(model)), diffusion_(std::move(diffusion)), options_(options) {}

torch::Tensor DiffusionTask::to_model_scale(const torch::Tensor& x) const {
  return (x * options_.image_std + options_.image_mean) * 2 - 1;
}

TaskOutput DiffusionTask::compute(const Batch& batch) {
  const auto x0 = to_model_scale(batch.at("input"));
  auto labels = batch.at("label");
  const int64_t B = x0.size(0), T = diffusion_.timesteps();
  torch::Tensor t, noise;
  if (model_.module->is_training()) {
    t = torch::randint(T, {B}, labels.options());
    noise = torch::randn_like(x0);
    const auto drop = torch::rand({B}, x0.options()) < options_.class_dropout;
    labels = torch::where(drop, torch::full_like(labels, model_.null_class), labels);
  } else {
    // Row i at timestep (i + 1/2) T / B, noise from a fixed seed: every evaluation alike.
    t = ((torch::arange(B, labels.options()) * 2 + 1) * T).div(2 * B, "floor");
    auto gen = at::detail::createCPUGenerator(0);
    noise = torch::randn(x0.sizes(), gen, torch::kFloat).to(x0.device(), x0.scalar_type());
  }
  const auto prediction = model_.forward(diffusion_.q_sample(x0, t, noise), t, labels).to(torch::kFloat);
  TaskOutput out;
  out.loss = torch::mse_loss(prediction, diffusion_.target(x0, t, noise).to(torch::kFloat));
  out.loss_count = B;
  out.num_tokens = B * options_.tokens_per_example;
  return out;
}

std::vector<std::string> DiffusionTask::metric_names() const {
  if (options_.eval_samples == 0) return {};
  return {"sample_accuracy", "frechet_distance"};
}

torch::Tensor DiffusionTask::sample(const torch::Tensor& labels, SampleOptions o) const {
  const auto device = model_.module->parameters().front().device();
  o.null_class = model_.null_class;
  if (o.guidance != 1 && options_.class_dropout == 0 && !warned_untrained_null_) {
    warned_untrained_null_ = true;
    fmt::print(stderr, "warning: guidance {} mixes in the unconditional prediction, which this model never trained "
               "(model.class_dropout 0): the samples may be noise; use guidance 1, or train with class_dropout > 0\n",
               o.guidance);
  }
  std::vector<torch::Tensor> out;
  const int64_t n = labels.size(0), chunk = 250;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t count = std::min(chunk, n - start);
    SampleOptions part = o;
    part.seed = o.seed + static_cast<uint64_t>(start);  // each chunk of 250 its own noise
    std::vector<int64_t> shape = {count};
    for (auto s : options_.image_shape) shape.push_back(s);
    out.push_back(diffusion_.sample(model_.forward, shape, labels.narrow(0, start, count).to(device), part));
  }
  return torch::cat(out);
}

void DiffusionTask::run_episodes(MetricSums& sums, const std::string& split) {
  // Not for the training split: its figures would repeat val's at twice the cost (and its real
  // images are ten times as many to embed).
  if (options_.eval_samples == 0 || !judge_ || split == "train") return;
  const int64_t n = options_.eval_samples, classes = model_.num_classes;
  const auto labels = torch::arange(n, torch::kLong).remainder(classes);
  SampleOptions o;
  o.steps = options_.eval_steps, o.guidance = options_.eval_guidance, o.seed = static_cast<uint64_t>(options_.eval_seed);
  const auto samples = sample(labels, o);
  const ImageJudgement j = judge_->judge(to_pixels(samples), labels, split);
  sums.add("sample_accuracy", j.accuracy * static_cast<double>(j.samples), static_cast<double>(j.samples));
  sums.set("frechet_distance", j.frechet_distance);
}

}  // namespace attnlab
