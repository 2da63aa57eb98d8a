#include "datasets/image_augment.h"

#include <cmath>

namespace attnlab {

namespace {

// Uniform in [0, 1) from the top 53 bits: the same on every machine (std's distributions are not).
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

ImageTransform draw_transform(const ImageAugmentOptions& o, int64_t height, int64_t width, std::mt19937_64& rng) {
  ImageTransform t;
  if (o.crop_padding > 0) {
    const auto span = static_cast<uint64_t>(2 * o.crop_padding + 1);
    t.dy = static_cast<int64_t>(rng() % span) - o.crop_padding;
    t.dx = static_cast<int64_t>(rng() % span) - o.crop_padding;
  }
  if (o.hflip) t.flip = (rng() >> 63) != 0;
  if (o.random_erasing > 0 && uniform(rng) < o.random_erasing) {
    const double area = static_cast<double>(height * width), log_aspect = std::log(kEraseMinAspect);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target = area * (kEraseMinArea + (kEraseMaxArea - kEraseMinArea) * uniform(rng));
      const double aspect = std::exp(log_aspect - 2 * log_aspect * uniform(rng));  // in [0.3, 1/0.3]
      const auto h = static_cast<int64_t>(std::lround(std::sqrt(target * aspect)));
      const auto w = static_cast<int64_t>(std::lround(std::sqrt(target / aspect)));
      if (h < 1 || w < 1 || h >= height || w >= width) continue;
      t.erase_y = static_cast<int64_t>(rng() % static_cast<uint64_t>(height - h + 1));
      t.erase_x = static_cast<int64_t>(rng() % static_cast<uint64_t>(width - w + 1));
      t.erase_height = h, t.erase_width = w;
      break;
    }
  }
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
        const bool erased = y >= t.erase_y && y < t.erase_y + t.erase_height && x >= t.erase_x &&
                            x < t.erase_x + t.erase_width;
        dst[y * width + x] = (!erased && sy >= 0 && sy < height && sx >= 0 && sx < width) ? src[sy * width + sx] : 0;
      }
    }
  }
}

}  // namespace attnlab
