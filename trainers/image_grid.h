// A picture of generated images: one labelled row per class, under a title (`attnlab sample`).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/util/rgb_image.h"

namespace attnlab {

struct ImageRow {
  std::string label;     // drawn left of the row
  torch::Tensor images;  // [N, C, H, W], pixels in [0, 1] (clamped), C = 1 (grey) or 3 (RGB)
};

// Rows of images, each image enlarged `scale` times, with 2 pixels between images.
RgbImage image_grid(const std::vector<ImageRow>& rows, const std::string& title, int scale = 3);

}  // namespace attnlab
