// Pictures: PNG files through libpng, the bitmap font, the heat colours and the
// attention-map grid's layout.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "core/util/rgb_image.h"
#include "test_util.h"
#include "trainers/attention_maps.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

TEST_CASE("PNG: a picture written is read back pixel for pixel, and bad paths name the file") {
  TempDir dir;
  RgbImage image(7, 3, {10, 20, 30});
  image.set(6, 2, {255, 0, 128});
  image.set(7, 0, {1, 1, 1});  // outside: ignored
  write_png(dir / "a.png", image);
  const std::string bytes = attnlab::testing::read_text(dir / "a.png");
  CHECK(bytes.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  const RgbImage back = read_png(dir / "a.png");
  CHECK(back.width == 7);
  CHECK(back.height == 3);
  CHECK(back.pixels == image.pixels);
  CHECK_THROWS_WITH(write_png(dir / "no/such/dir/a.png", image), Contains(dir / "no/such/dir/a.png"));
  attnlab::testing::write_text(dir / "bad.png", "not a png");
  CHECK_THROWS_WITH(read_png(dir / "bad.png"), Contains(dir / "bad.png"));
}

TEST_CASE("bitmap font: glyphs land where drawn, letters are drawn upper case") {
  RgbImage a(20, 9), b(20, 9);
  CHECK(draw_text(a, 1, 1, "T1", {0, 0, 0}) == text_width("T1"));
  CHECK(text_width("T1") == 11);
  // 'T' is a full top row of five pixels and a centre column.
  for (int x = 1; x <= 5; ++x) CHECK(a.at(x, 1).r == 0);
  CHECK(a.at(3, 7).r == 0);
  CHECK(a.at(1, 7).r == 255);
  draw_text(b, 1, 1, "t1", {0, 0, 0});
  CHECK(a.pixels == b.pixels);
  // Every printable character of the captions has a glyph of its own: none falls back to '?'.
  RgbImage question(6, 7), glyph(6, 7);
  draw_text(question, 0, 0, "?", {0, 0, 0});
  for (char c : std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /-:.,%()[]_+=&'|")) {
    glyph.fill(0, 0, 6, 7, {255, 255, 255});
    draw_text(glyph, 0, 0, std::string(1, c), {0, 0, 0});
    CHECK(glyph.pixels != question.pixels);
  }
  RgbImage big(40, 20);
  CHECK(draw_text(big, 0, 0, "T", {0, 0, 0}, 2) == 10);
  CHECK(big.at(9, 1).r == 0);  // the top row's last pixel, 2x2
}

TEST_CASE("heat colours run from black to pale yellow, and the attention grid lays out images and maps") {
  CHECK((heat_color(0).r == 0 && heat_color(0).g == 0 && heat_color(0).b == 4));
  CHECK((heat_color(1).r == 252 && heat_color(1).g == 255 && heat_color(1).b == 164));
  CHECK(heat_color(0.5).r == 188);

  // One 4x4 image whose map is hot in the top-left 2x2 patch only.
  auto image = torch::zeros({1, 4, 4});
  image[0][0][0] = 1.0;
  auto map = torch::zeros({2, 2});
  map[0][0] = 0.3;
  const RgbImage grid = attention_grid({{image, map, "Coat", "Shirt"}}, "t");
  const int scale = 28;  // 4 px enlarged to 112
  CHECK(grid.width == 2 * 4 * scale + 6 + 16);
  CHECK(grid.height == 24 + 4 * scale + 26 + 16);
  const int x0 = 8, y0 = 24 + 8, map_x0 = x0 + 4 * scale + 6;
  CHECK(grid.at(x0, y0).r == 255);              // the bright pixel, min-max scaled
  CHECK(grid.at(x0 + scale, y0).r == 0);        // a dark one
  const Rgb hot = grid.at(map_x0 + scale, y0);  // top-left patch, dark pixel: 0.7 * heat(1)
  CHECK(hot.r == static_cast<int>(std::lround(0.7 * 252)));
  CHECK(grid.at(map_x0 + 3 * scale, y0 + 3 * scale).r == 0);  // a cold patch over a dark pixel
  // A wrong prediction is captioned in red.
  bool red = false;
  for (int y = y0 + 4 * scale; y < grid.height; ++y)
    for (int x = 0; x < grid.width; ++x) red |= grid.at(x, y).r == 200 && grid.at(x, y).g == 0;
  CHECK(red);
}
