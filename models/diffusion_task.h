// Training and evaluating a class-conditional diffusion model (models/dit.h) on image
// classification data: images rescaled to [-1, 1], a uniform random timestep per image, the
// prediction's mean squared error (Ho et al. 2020's simple loss), labels dropped to "no class"
// for classifier-free guidance. Evaluation also samples images and, with a judge
// (models/image_judge.h), reports how recognisable and how close to real images they are.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/task.h"
#include "models/diffusion.h"
#include "models/image_judge.h"

namespace attnlab {

struct DiffusionTaskOptions {
  double class_dropout = 0.1;  // training labels replaced by "no class" (classifier-free guidance)
  int64_t eval_samples = 0;    // images sampled (classes in turn) and judged at each evaluation; 0 = none
  int64_t eval_steps = 25;     // their DDIM steps
  double eval_guidance = 2;    // their guidance scale
  int64_t eval_seed = 0;       // their starting noise
  // How the data normalised pixels in [0, 1]: x = (pixel - image_mean) / image_std.
  double image_mean = 0, image_std = 1;
  std::vector<int64_t> image_shape;  // {channels, height, width}
  int64_t tokens_per_example = 1;    // the model's tokens an image (its patches): throughput in tokens/s
};

// The model as the task calls it: (x_t, t, labels) -> prediction, and its "no class" id.
struct Denoiser {
  DenoiseFn forward;
  int64_t num_classes = 0;  // class ids 0 .. num_classes - 1
  int64_t null_class = 0;   // the "no class" id
  std::shared_ptr<torch::nn::Module> module;  // for its mode (train/eval) and device
};

class DiffusionTask : public Task {
 public:
  DiffusionTask(Denoiser model, GaussianDiffusion diffusion, DiffusionTaskOptions options);

  // Training: random timesteps and noise (the global generator, checkpointed by the trainer).
  // Evaluation: the same timesteps (spread evenly over [0, T) across the batch's rows) and
  // noise at every evaluation, so losses compare across steps.
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override;
  // Samples eval_samples images and has the judge score them against `split`'s real images
  // (with a judge only; not for the training split).
  void run_episodes(MetricSums& sums, const std::string& split) override;

  // Images from the data's normalisation to the diffusion's [-1, 1], and samples back to [0, 1].
  torch::Tensor to_model_scale(const torch::Tensor& normalised) const;
  static torch::Tensor to_pixels(const torch::Tensor& samples) { return ((samples + 1) / 2).clamp(0, 1); }
  // Samples for `labels` [N] ([-1, 1] scale), in batches of at most 250 images. Guidance other
  // than 1 on a model trained with class_dropout 0 is warned about once (stderr): its "no class"
  // prediction was never trained.
  torch::Tensor sample(const torch::Tensor& labels, SampleOptions options) const;

  void set_judge(std::shared_ptr<ImageJudge> judge) { judge_ = std::move(judge); }

 private:
  Denoiser model_;
  GaussianDiffusion diffusion_;
  DiffusionTaskOptions options_;
  std::shared_ptr<ImageJudge> judge_;
  mutable bool warned_untrained_null_ = false;
};

}  // namespace attnlab
