#include "datasets/image_augment.h"

namespace attnlab {

ImageTransform draw_transform(const ImageAugmentOptions& o, std::mt19937_64& rng) {
  ImageTransform t;
  if (o.crop_padding > 0) {
    const auto span = static_cast<uint64_t>(2 * o.crop_padding + 1);
    t.dy = static_cast<int64_t>(rng() % span) - o.crop_padding;
    t.dx = static_cast<int64_t>(rng() % span) - o.crop_padding;
  }
  if (o.hflip) t.flip = (rng() >> 63) != 0;
  return t;
}

void apply_transform(const uint8_t* in, uint8_t* out, int64_t channels, int64_t height, int64_t width,
                     const ImageTransform& t) {
  for (int64_t c = 0; c < channels; ++c) {
    const uint8_t* src = in + c * height * width;
    uint8_t* dst = out + c * height * width;
    for (int64_t y = 0; y < height; ++y) {
      const int64_t sy = y + t.dy;
      for (int64_t x = 0; x < width; ++x) {
        const int64_t sx = (t.flip ? width - 1 - x : x) + t.dx;
        dst[y * width + x] = (sy >= 0 && sy < height && sx >= 0 && sx < width) ? src[sy * width + sx] : 0;
      }
    }
  }
}

}  // namespace attnlab
