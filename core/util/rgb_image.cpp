#include "core/util/rgb_image.h"

#include <png.h>

#include <cstring>
#include <stdexcept>

namespace attnlab {

RgbImage::RgbImage(int w, int h, Rgb background) : width(w), height(h) {
  if (w <= 0 || h <= 0) throw std::invalid_argument("RgbImage: width and height must be positive");
  pixels.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  fill(0, 0, w, h, background);
}

Rgb RgbImage::at(int x, int y) const {
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
  return {pixels.at(i), pixels.at(i + 1), pixels.at(i + 2)};
}

void RgbImage::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
  pixels[i] = c.r, pixels[i + 1] = c.g, pixels[i + 2] = c.b;
}

void RgbImage::fill(int x, int y, int w, int h, Rgb c) {
  for (int yy = y; yy < y + h; ++yy)
    for (int xx = x; xx < x + w; ++xx) set(xx, yy, c);
}

// libpng's simplified API (1.6): whole images in one call, errors in image.message.
void write_png(const std::string& path, const RgbImage& image) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&png, path.c_str(), 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error("cannot write PNG " + path + ": " + png.message);
}

RgbImage read_png(const std::string& path) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str()))
    throw std::runtime_error("cannot read PNG " + path + ": " + png.message);
  png.format = PNG_FORMAT_RGB;
  RgbImage image(static_cast<int>(png.width), static_cast<int>(png.height));
  if (!png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr))
    throw std::runtime_error("cannot read PNG " + path + ": " + png.message);
  return image;
}

}  // namespace attnlab
