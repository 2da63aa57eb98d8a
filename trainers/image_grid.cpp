#include "trainers/image_grid.h"

#include <algorithm>
#include <cmath>

namespace attnlab {

void draw_image(RgbImage& out, int x0, int y0, const torch::Tensor& image, int scale) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), "draw_image: an image must be [1 or 3, H, W], got ",
              image.sizes());
  const auto px = image.to(torch::kCPU, torch::kDouble).expand({3, -1, -1}).clamp(0, 1).contiguous();
  const auto a = px.accessor<double, 3>();
  auto byte = [](double v) { return static_cast<uint8_t>(std::lround(255 * v)); };
  for (int64_t y = 0; y < px.size(1); ++y)
    for (int64_t x = 0; x < px.size(2); ++x)
      out.fill(x0 + static_cast<int>(x) * scale, y0 + static_cast<int>(y) * scale, scale, scale,
               {byte(a[0][y][x]), byte(a[1][y][x]), byte(a[2][y][x])});
}

RgbImage image_grid(const std::vector<ImageRow>& rows, const std::string& title, int scale) {
  TORCH_CHECK(!rows.empty() && rows[0].images.dim() == 4, "image_grid: no rows, or images not [N, C, H, W]");
  const int64_t C = rows[0].images.size(1), H = rows[0].images.size(2), W = rows[0].images.size(3);
  TORCH_CHECK(C == 1 || C == 3, "image_grid: images must have 1 or 3 channels, got ", C);
  constexpr int kMargin = 8, kGap = 2, kTitleHeight = 24;
  int label_w = 0;
  int64_t columns = 0;
  for (const auto& r : rows) {
    TORCH_CHECK(r.images.dim() == 4 && r.images.size(1) == C && r.images.size(2) == H && r.images.size(3) == W,
                "image_grid: images differ in size");
    label_w = std::max(label_w, text_width(r.label)), columns = std::max(columns, r.images.size(0));
  }
  const int cell_w = static_cast<int>(W) * scale + kGap, cell_h = static_cast<int>(H) * scale + kGap;
  const int left = kMargin + label_w + kMargin;
  const int width = std::max(left + static_cast<int>(columns) * cell_w + kMargin, text_width(title) + 2 * kMargin);
  RgbImage out(width, kTitleHeight + static_cast<int>(rows.size()) * cell_h + kMargin);
  draw_text(out, kMargin, (kTitleHeight - kTextHeight) / 2, title, {0, 0, 0});
  for (size_t r = 0; r < rows.size(); ++r) {
    const int top = kTitleHeight + static_cast<int>(r) * cell_h;
    draw_text(out, kMargin, top + (cell_h - kTextHeight) / 2, rows[r].label, {0, 0, 0});
    for (int64_t n = 0; n < rows[r].images.size(0); ++n)
      draw_image(out, left + static_cast<int>(n) * cell_w, top, rows[r].images[n], scale);
  }
  return out;
}

}  // namespace attnlab
