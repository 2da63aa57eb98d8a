// Seeded augmentation of training images: a random crop of the zero-padded image (a shift
// of up to crop_padding pixels each way), a random horizontal flip, and random erasing (Zhong
// et al. 2020, "Random Erasing Data Augmentation": a rectangle of 2%-33% of the image, aspect
// 0.3-3.3, set to 0, the background of MNIST-family images). LibTorch-free.
#pragma once

#include <cstdint>
#include <random>

namespace attnlab {

struct ImageAugmentOptions {
  int64_t crop_padding = 0;  // data.crop_padding: pixels of zero padding before the random crop; 0 = none
  bool hflip = false;        // data.hflip: flip left-right with probability 1/2
  double random_erasing = 0;  // data.random_erasing: probability of erasing a rectangle; 0 = never
  bool any() const { return crop_padding > 0 || hflip || random_erasing > 0; }
};

// Random erasing's draw bounds (the paper's and torchvision's defaults).
constexpr double kEraseMinArea = 0.02, kEraseMaxArea = 1.0 / 3.0, kEraseMinAspect = 0.3;

// One image's draw: out(c, y, x) = in(c, y + dy, x' + dx), x' = W - 1 - x when flipped,
// zero where that falls outside the image or inside the erased rectangle.
struct ImageTransform {
  int64_t dy = 0, dx = 0;  // in [-crop_padding, crop_padding]
  bool flip = false;
  int64_t erase_y = 0, erase_x = 0, erase_height = 0, erase_width = 0;  // of the output; 0 x 0 = none
};

// Draws from the raw generator (the same on every machine): dy, then dx, then the flip, then
// (with random_erasing) whether to erase and up to 10 tries at a rectangle that fits, as
// torchvision's RandomErasing. The earlier draws do not depend on random_erasing.
ImageTransform draw_transform(const ImageAugmentOptions& options, int64_t height, int64_t width,
                              std::mt19937_64& rng);

// in, out: one image each, channels x height x width bytes, row-major.
void apply_transform(const uint8_t* in, uint8_t* out, int64_t channels, int64_t height, int64_t width,
                     const ImageTransform& t);

}  // namespace attnlab
