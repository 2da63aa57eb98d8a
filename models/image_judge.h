// Scoring generated images without Inception: a trained classifier of the same data says
// whether each sample looks like the class it was asked for, and a Fréchet distance compares
// the samples with real images in that classifier's penultimate features. Implemented by
// trainers/image_judge.h (it loads another run); models that generate images call it.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

struct ImageJudgement {
  double accuracy = 0;          // of the judge on the samples, against the labels they were generated for
  double frechet_distance = 0;  // between the samples' and the split's real images' features
  int64_t samples = 0;
};

class ImageJudge {
 public:
  virtual ~ImageJudge() = default;
  // pixels [N, C, H, W] in [0, 1], labels [N]: the classes they were generated for; `split`:
  // whose real images the Fréchet distance compares them with.
  virtual ImageJudgement judge(const torch::Tensor& pixels, const torch::Tensor& labels, const std::string& split) = 0;
};

}  // namespace attnlab
