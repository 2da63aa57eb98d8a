// Image files (datasets/image_file.h): PNG and JPEG decoded by libpng and libjpeg, pixel
// values and alpha, and truncated, corrupt or non-image files named with the library's words.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "datasets/image_file.h"
#include "datasets/image_folder.h"
#include "image_fixtures.h"
#include "test_util.h"

using namespace attnlab;
using namespace attnlab::testing;
using Catch::Matchers::Contains;

TEST_CASE("image files: PNG pixels exactly, JPEG within a tolerance, alpha composited onto black") {
  TempDir dir;
  const Pixels gray = gradient(5, 7, 1, 1), rgb = gradient(5, 7, 3, 2);
  write_png_file(dir / "gray.png", gray, 5, 7);
  write_png_file(dir / "rgb.png", rgb, 5, 7, PNG_FORMAT_RGB);
  DecodedImage g = decode_image(dir / "gray.png"), c = decode_image(dir / "rgb.png");
  CHECK((g.height == 5 && g.width == 7 && g.channels == 1 && g.format == "PNG" && !g.had_alpha));
  CHECK(g.pixels == gray);
  CHECK(c.channels == 3);
  CHECK(c.pixels == rgb);  // interleaved, as written

  // Alpha: opaque pixels as written, transparent ones black.
  Pixels rgba(5 * 7 * 4), ga(5 * 7 * 2);
  for (size_t p = 0; p < 35; ++p) {
    const uint8_t alpha = p % 2 ? 255 : 0;
    for (size_t k = 0; k < 3; ++k) rgba[p * 4 + k] = rgb[p * 3 + k];
    rgba[p * 4 + 3] = alpha, ga[p * 2] = gray[p], ga[p * 2 + 1] = alpha;
  }
  write_png_file(dir / "rgba.png", rgba, 5, 7, PNG_FORMAT_RGBA);
  write_png_file(dir / "ga.png", ga, 5, 7, PNG_FORMAT_GA);
  const DecodedImage ca = decode_image(dir / "rgba.png"), gal = decode_image(dir / "ga.png");
  CHECK((ca.had_alpha && ca.channels == 3 && gal.had_alpha && gal.channels == 1));
  for (size_t p = 0; p < 35; ++p) {
    for (size_t k = 0; k < 3; ++k) CHECK(ca.pixels[p * 3 + k] == (p % 2 ? rgb[p * 3 + k] : 0));
    CHECK(gal.pixels[p] == (p % 2 ? gray[p] : 0));
  }
  write_png_file(dir / "half.png", {200, 128, 255, 1}, 1, 2, PNG_FORMAT_GA);  // v * a / 255, rounded: 100.4, 1.0
  CHECK(decode_image(dir / "half.png").pixels == Pixels({100, 1}));

  // Samples as stored: 16 bits scaled to 8 (v * 255 / 65535), a gAMA chunk ignored.
  write_png_raw(dir / "g16.png", std::string("\x00\x00\x01\x01\x80\x80\x7f\x7f\xff\xff", 10), 1, 5, 16, PNG_COLOR_TYPE_GRAY);
  CHECK(decode_image(dir / "g16.png").pixels == Pixels({0, 1, 128, 127, 255}));
  write_png_raw(dir / "linear.png", std::string("\x00\x40\x80\xc0\xff", 5), 1, 5, 8, PNG_COLOR_TYPE_GRAY, 1.0);
  CHECK(decode_image(dir / "linear.png").pixels == Pixels({0, 64, 128, 192, 255}));

  // JPEG is lossy: within a few levels at quality 95 on a smooth picture.
  write_jpeg_file(dir / "gray.jpg", gray, 5, 7, 1);
  write_jpeg_file(dir / "rgb.jpeg", rgb, 5, 7, 3);
  const DecodedImage gj = decode_image(dir / "gray.jpg"), cj = decode_image(dir / "rgb.jpeg");
  CHECK((gj.format == "JPEG" && gj.channels == 1 && cj.channels == 3 && cj.height == 5 && cj.width == 7));
  for (size_t i = 0; i < gray.size(); ++i) CHECK(std::abs(gj.pixels[i] - gray[i]) <= 3);
  int worst = 0;
  for (size_t i = 0; i < rgb.size(); ++i) worst = std::max(worst, std::abs(cj.pixels[i] - rgb[i]));
  CHECK(worst <= 12);
  // The decoder follows the bytes, not the name: a PNG named .jpg reads as a PNG.
  std::filesystem::copy_file(dir / "gray.png", dir / "png.jpg");
  CHECK(decode_image(dir / "png.jpg").pixels == gray);
  CHECK(luma_bt601(200, 100, 50) == 124);  // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
  CHECK(luma_bt601(255, 255, 255) == 255);
}


TEST_CASE("image files: truncated, corrupt and non-image files are errors naming the file and the library's words") {
  TempDir dir;
  write_png_file(dir / "ok.png", gradient(8, 8, 1, 0), 8, 8);
  write_jpeg_file(dir / "ok.jpg", gradient(8, 8, 3, 0), 8, 8, 3);
  const std::string png = read_text(dir / "ok.png"), jpg = read_text(dir / "ok.jpg");
  write_text(dir / "cut.png", png.substr(0, png.size() / 2));
  CHECK_THROWS_WITH(decode_image(dir / "cut.png"), Contains(dir / "cut.png") && Contains("libpng: "));
  write_text(dir / "noend.png", png.substr(0, png.size() - 12));  // the image data whole, IEND gone
  CHECK_THROWS_WITH(decode_image(dir / "noend.png"), Contains(dir / "noend.png") && Contains("libpng: read beyond end of data"));
  std::string flipped = png;
  flipped[flipped.size() - 20] = static_cast<char>(flipped[flipped.size() - 20] ^ 0x5a);  // inside IDAT's data or CRC
  write_text(dir / "flipped.png", flipped);
  CHECK_THROWS_WITH(decode_image(dir / "flipped.png"), Contains(dir / "flipped.png") && Contains("libpng: "));
  write_text(dir / "cut.jpg", jpg.substr(0, jpg.size() - 40));
  CHECK_THROWS_WITH(decode_image(dir / "cut.jpg"), Contains(dir / "cut.jpg") && Contains("libjpeg: Premature end of JPEG file"));
  write_text(dir / "text.png", "these are not the pixels you are looking for\n");
  CHECK_THROWS_WITH(decode_image(dir / "text.png"), Contains(dir / "text.png") && Contains("libpng: Not a PNG file"));
  write_text(dir / "text.jpeg", "hello\n");
  CHECK_THROWS_WITH(decode_image(dir / "text.jpeg"), Contains(dir / "text.jpeg") && Contains("libjpeg: Not a JPEG file"));
  write_text(dir / "empty.png", "");
  CHECK_THROWS_WITH(decode_image(dir / "empty.png"), Contains(dir / "empty.png") && Contains("empty"));
  CHECK_THROWS_WITH(decode_image(dir / "missing.png"), Contains(dir / "missing.png") && Contains("No such file"));
  // The process survives libjpeg's errors, and the reader names the file inside a folder too.
  write_png_file(dir / "f/a/1.png", gradient(8, 8, 1, 0), 8, 8);
  write_text(dir / "f/b/2.jpg", jpg.substr(0, jpg.size() / 3));
  CHECK_THROWS_WITH(read_image_folder(dir / "f"), Contains(dir / "f/b/2.jpg") && Contains("libjpeg"));
}

