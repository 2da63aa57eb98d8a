// A picture of where an image model looks: each example's image and, beside it, its attention
// map as heat over a dimmed copy of the image, captioned with the true and predicted labels
// (`attnlab eval RUN --attention-maps N`).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/util/rgb_image.h"

namespace attnlab {

struct AttentionMapExample {
  torch::Tensor image;  // [C, H, W], any range (shown min-max scaled); C = 1 (grey) or 3 (RGB)
  torch::Tensor map;    // [h, w] >= 0, h and w dividing H and W (one value per patch)
  std::string truth, prediction;
};

// The examples in a grid of `columns`, under a title; each image enlarged to about 112 pixels.
RgbImage attention_grid(const std::vector<AttentionMapExample>& examples, const std::string& title, int columns = 4);

// Heat colours from black through purple, red and orange to pale yellow, for v in [0, 1].
Rgb heat_color(double v);

}  // namespace attnlab
