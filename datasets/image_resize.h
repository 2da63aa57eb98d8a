// Resizing 8-bit images (data.image_size): LibTorch's bilinear interpolate with antialiasing
// (mode bilinear, align_corners false, antialias true: PIL's Image.resize(BILINEAR) when
// shrinking, plain bilinear with clamped edges when enlarging), rounded to the nearest level,
// so a constant image stays exactly constant. The header is LibTorch-free; the implementation
// is in the torch library.
#pragma once

#include <cstdint>
#include <vector>

namespace attnlab {

// `pixels`: height x width x channels (interleaved); returns out_height x out_width x channels.
// Sizes must be positive and the buffer hold them (std::invalid_argument otherwise).
std::vector<uint8_t> resize_bilinear(const std::vector<uint8_t>& pixels, int64_t height, int64_t width,
                                     int64_t channels, int64_t out_height, int64_t out_width);

}  // namespace attnlab
