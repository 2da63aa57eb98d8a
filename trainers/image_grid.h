// Pictures of images: one drawn into another, and a grid of generated images, one labelled row
// per class, under a title (`attnlab sample`).
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

// Draws image [C, H, W] (C = 1 or 3, pixels in [0, 1], clamped) with its top-left corner at
// (x, y), each pixel a scale x scale square.
void draw_image(RgbImage& out, int x, int y, const torch::Tensor& image, int scale);

// Rows of images, each image enlarged `scale` times, with 2 pixels between images.
RgbImage image_grid(const std::vector<ImageRow>& rows, const std::string& title, int scale = 3);

}  // namespace attnlab
