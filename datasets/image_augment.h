// Seeded augmentation of training images: a random crop of the zero-padded image (a shift
// of up to crop_padding pixels each way) and a random horizontal flip. LibTorch-free.
#pragma once

#include <cstdint>
#include <random>

namespace attnlab {

struct ImageAugmentOptions {
  int64_t crop_padding = 0;  // data.crop_padding: pixels of zero padding before the random crop; 0 = none
  bool hflip = false;        // data.hflip: flip left-right with probability 1/2
  bool any() const { return crop_padding > 0 || hflip; }
};

// One image's draw: out(c, y, x) = in(c, y + dy, x' + dx), x' = W - 1 - x when flipped,
// zero where that falls outside the image.
struct ImageTransform {
  int64_t dy = 0, dx = 0;  // in [-crop_padding, crop_padding]
  bool flip = false;
};

// Draws from the raw generator (the same on every machine): dy, then dx, then the flip.
ImageTransform draw_transform(const ImageAugmentOptions& options, std::mt19937_64& rng);

// in, out: one image each, channels x height x width bytes, row-major.
void apply_transform(const uint8_t* in, uint8_t* out, int64_t channels, int64_t height, int64_t width,
                     const ImageTransform& t);

}  // namespace attnlab
