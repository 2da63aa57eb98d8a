// An 8-bit RGB picture to draw figures into (attention maps), with a 5x7 bitmap font for
// labels and PNG input/output through libpng. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major, 3 bytes a pixel

  RgbImage() = default;
  RgbImage(int width, int height, Rgb background = {255, 255, 255});
  Rgb at(int x, int y) const;
  void set(int x, int y, Rgb c);  // ignores pixels outside the picture
  void fill(int x, int y, int w, int h, Rgb c);
};

// Draws `text` with its top-left corner at (x, y), each font pixel a scale x scale square.
// Letters are drawn upper-case; characters the font lacks are drawn as '?'.
// Returns the width drawn, text_width(text, scale).
int draw_text(RgbImage& image, int x, int y, const std::string& text, Rgb color, int scale = 1);
int text_width(const std::string& text, int scale = 1);
constexpr int kTextHeight = 7;  // font pixels (times scale)

// PNG files (libpng). Both throw std::runtime_error naming the file.
void write_png(const std::string& path, const RgbImage& image);
RgbImage read_png(const std::string& path);

}  // namespace attnlab
