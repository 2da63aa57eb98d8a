#include "trainers/attention_maps.h"

#include "trainers/image_grid.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace attnlab {

namespace {

constexpr int kMargin = 8, kGap = 6, kTitleHeight = 24, kCaptionHeight = 2 * kTextHeight + 12;

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0))); }

// The image as RGB in [0, 1], min-max scaled: [H, W, 3].
torch::Tensor display_rgb(const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
              "attention_grid: an image must be [1 or 3, H, W], got ", image.sizes());
  auto x = image.to(torch::kCPU, torch::kDouble);
  const double lo = x.min().item<double>(), hi = x.max().item<double>();
  x = hi > lo ? (x - lo) / (hi - lo) : torch::zeros_like(x);
  return x.expand({3, -1, -1}).permute({1, 2, 0}).contiguous();
}

}  // namespace

Rgb heat_color(double v) {
  static const std::array<std::array<double, 3>, 5> stops = {
      {{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}}};
  const double t = std::clamp(v, 0.0, 1.0) * (stops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  auto mix = [&](int c) { return to_byte(stops[i][c] * (1 - f) + stops[i + 1][c] * f); };
  return {mix(0), mix(1), mix(2)};
}

RgbImage attention_grid(const std::vector<AttentionMapExample>& examples, const std::string& title, int columns) {
  TORCH_CHECK(!examples.empty(), "attention_grid: no examples");
  const int64_t H = examples[0].image.size(-2), W = examples[0].image.size(-1);
  const int scale = std::max(1, static_cast<int>((112 + H - 1) / H));
  const int panel_w = static_cast<int>(W) * scale, panel_h = static_cast<int>(H) * scale;
  const int cell_w = 2 * panel_w + kGap + 2 * kMargin, cell_h = panel_h + kCaptionHeight + 2 * kMargin;
  columns = std::max(1, std::min(columns, static_cast<int>(examples.size())));
  const int rows = (static_cast<int>(examples.size()) + columns - 1) / columns;
  const int width = std::max(columns * cell_w, text_width(title) + 2 * kMargin);
  RgbImage out(width, kTitleHeight + rows * cell_h);
  draw_text(out, kMargin, (kTitleHeight - kTextHeight) / 2, title, {0, 0, 0});

  for (size_t n = 0; n < examples.size(); ++n) {
    const auto& e = examples[n];
    TORCH_CHECK(e.image.size(-2) == H && e.image.size(-1) == W, "attention_grid: images differ in size");
    TORCH_CHECK(e.map.dim() == 2 && H % e.map.size(0) == 0 && W % e.map.size(1) == 0,
                "attention_grid: a map must be [h, w] dividing the image, got ", e.map.sizes());
    const auto rgb = display_rgb(e.image);
    auto map = e.map.to(torch::kCPU, torch::kDouble);
    const double peak = map.max().item<double>();
    map = peak > 0 ? map / peak : map;
    const auto px = rgb.accessor<double, 3>();
    const auto m = map.accessor<double, 2>();
    const int64_t patch_h = H / e.map.size(0), patch_w = W / e.map.size(1);
    const int x0 = static_cast<int>(n % static_cast<size_t>(columns)) * cell_w + kMargin;
    const int y0 = kTitleHeight + static_cast<int>(n / static_cast<size_t>(columns)) * cell_h + kMargin;
    draw_image(out, x0, y0, rgb.permute({2, 0, 1}), scale);
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        // Beside the image: the patch's heat over a dimmed grey copy of it.
        const double grey = (px[y][x][0] + px[y][x][1] + px[y][x][2]) / 3.0;
        const Rgb heat = heat_color(m[y / patch_h][x / patch_w]);
        const Rgb blend{to_byte(0.7 * heat.r + 0.3 * 255 * grey), to_byte(0.7 * heat.g + 0.3 * 255 * grey),
                        to_byte(0.7 * heat.b + 0.3 * 255 * grey)};
        const int sx = static_cast<int>(x) * scale, sy = static_cast<int>(y) * scale;
        out.fill(x0 + panel_w + kGap + sx, y0 + sy, scale, scale, blend);
      }
    const bool right = e.truth == e.prediction;
    const int ty = y0 + panel_h + 5;
    draw_text(out, x0, ty, "true: " + e.truth, {0, 0, 0});
    draw_text(out, x0, ty + kTextHeight + 4, "pred: " + e.prediction, right ? Rgb{0, 130, 0} : Rgb{200, 0, 0});
  }
  return out;
}

}  // namespace attnlab
