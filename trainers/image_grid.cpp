#include "trainers/image_grid.h"

#include <algorithm>
#include <cmath>

namespace attnlab {

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
    const auto px = (rows[r].images.to(torch::kCPU, torch::kFloat).clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous();
    const auto a = px.accessor<uint8_t, 4>();
    for (int64_t n = 0; n < px.size(0); ++n)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) {
          const Rgb c = C == 1 ? Rgb{a[n][0][y][x], a[n][0][y][x], a[n][0][y][x]} : Rgb{a[n][0][y][x], a[n][1][y][x], a[n][2][y][x]};
          out.fill(left + static_cast<int>(n) * cell_w + static_cast<int>(x) * scale, top + static_cast<int>(y) * scale,
                   scale, scale, c);
        }
  }
  return out;
}

}  // namespace attnlab
