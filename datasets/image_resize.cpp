#include "datasets/image_resize.h"

#include <stdexcept>

namespace attnlab {

std::vector<uint8_t> resize_bilinear(const std::vector<uint8_t>& pixels, int64_t height, int64_t width,
                                     int64_t channels, int64_t out_height, int64_t out_width) {
  if (height <= 0 || width <= 0 || channels <= 0 || out_height <= 0 || out_width <= 0)
    throw std::invalid_argument("resize_bilinear: sizes must be positive");
  if (static_cast<int64_t>(pixels.size()) != height * width * channels)
    throw std::invalid_argument("resize_bilinear: the buffer does not hold height x width x channels bytes");
  namespace F = torch::nn::functional;
  // [1, C, H, W] in double, so that rounding ties fall the same way on every machine.
  const auto image = torch::from_blob(const_cast<uint8_t*>(pixels.data()), {height, width, channels}, torch::kUInt8)
                         .to(torch::kDouble)
                         .permute({2, 0, 1})
                         .unsqueeze(0);
  const auto resized = F::interpolate(image, F::InterpolateFuncOptions()
                                                 .size(std::vector<int64_t>{out_height, out_width})
                                                 .mode(torch::kBilinear)
                                                 .align_corners(false)
                                                 .antialias(true))
                           .squeeze(0)
                           .permute({1, 2, 0})
                           .round()
                           .clamp(0, 255)
                           .to(torch::kUInt8)
                           .contiguous();
  return {resized.data_ptr<uint8_t>(), resized.data_ptr<uint8_t>() + resized.numel()};
}

}  // namespace attnlab
