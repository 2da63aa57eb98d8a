// Image fixtures for the image-file and image-folder tests: PNG and JPEG files written with
// libpng and libjpeg, pixel patterns, and small class folders.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
// clang-format off: jpeglib.h needs <cstdio> first.
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/image_classification.h"
#include "test_paths.h"

namespace attnlab::testing {

using Pixels = std::vector<uint8_t>;

// libpng's simplified writer; format PNG_FORMAT_GRAY, _GA, _RGB or _RGBA (8 bits a sample).
inline void write_png_file(const std::string& path, const Pixels& px, int h, int w, png_uint_32 format = PNG_FORMAT_GRAY) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(w), png.height = static_cast<png_uint_32>(h), png.format = format;
  REQUIRE(png_image_write_to_file(&png, path.c_str(), 0, px.data(), 0, nullptr));
}

// libpng's full writer, for what the simplified one does not write: 16-bit samples (big-endian
// in `bytes`), a gAMA chunk (gamma > 0).
inline void write_png_raw(const std::string& path, const std::string& bytes, int h, int w, int bit_depth, int colour_type,
                   double gamma = 0) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), bit_depth, colour_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (gamma > 0) png_set_gAMA(png, info, gamma);
  png_write_info(png, info);
  const size_t stride = bytes.size() / static_cast<size_t>(h);
  for (int y = 0; y < h; ++y)
    png_write_row(png, reinterpret_cast<png_const_bytep>(bytes.data() + static_cast<size_t>(y) * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

inline void write_jpeg_file(const std::string& path, const Pixels& px, int h, int w, int channels, int quality = 95) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  jpeg_compress_struct c;
  jpeg_error_mgr e;
  c.err = jpeg_std_error(&e);
  jpeg_create_compress(&c);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  jpeg_stdio_dest(&c, f);
  c.image_width = static_cast<JDIMENSION>(w), c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = channels, c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(px.data()) + static_cast<size_t>(c.next_scanline) * static_cast<size_t>(w * channels);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

inline Pixels constant(int h, int w, int c, uint8_t v) { return Pixels(static_cast<size_t>(h * w * c), v); }

// Varied but smooth values (JPEG keeps them within a few levels).
inline Pixels gradient(int h, int w, int c, int seed) {
  Pixels px(static_cast<size_t>(h * w * c));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) px[static_cast<size_t>((y * w + x) * c + k)] = static_cast<uint8_t>(40 + seed * 7 + 9 * y + 5 * x + 30 * k);
  return px;
}

// The first pixel of image i of a part (its constant value in the fixtures below).
inline int first_pixel(const LabelledImages& li, int64_t i) {
  return li.pixels[static_cast<size_t>(i * li.channels * li.height * li.width)];
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

inline ImageDataOptions folder_options(const std::string& dir, int64_t val_examples) {
  ImageDataOptions o;
  o.dir = dir, o.val_examples = val_examples;
  return o;
}

// Three classes of n constant 4x4 gray PNGs, "00.png".., value 10 * (file index) + class.
inline void flat_fixture(const std::string& dir, int n) {
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < n; ++i)
      write_png_file(dir + "/" + std::string(1, static_cast<char>('a' + k)) + "/" + (i < 10 ? "0" : "") + std::to_string(i) + ".png",
                     constant(4, 4, 1, static_cast<uint8_t>(10 * i + k)), 4, 4);
}

inline std::string examples_dir() { return std::string(ATTNLAB_SOURCE_DIR) + "/examples/data/images"; }

}  // namespace attnlab::testing
