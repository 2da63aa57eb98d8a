#include "core/blocks/alibi.h"

#include <cmath>

namespace attnlab {

std::vector<double> alibi_slopes(int64_t n_head) {
  TORCH_CHECK(n_head >= 1, "alibi needs n_head >= 1");
  auto power_of_two = [](int64_t n) {
    std::vector<double> s;
    const double start = std::pow(2.0, -8.0 / static_cast<double>(n));
    for (int64_t i = 0; i < n; ++i) s.push_back(std::pow(start, static_cast<double>(i + 1)));
    return s;
  };
  const auto lower = static_cast<int64_t>(1) << static_cast<int64_t>(std::floor(std::log2(static_cast<double>(n_head))));
  std::vector<double> slopes = power_of_two(lower);
  if (lower == n_head) return slopes;
  const std::vector<double> next = alibi_slopes(2 * lower);
  for (size_t i = 0; static_cast<int64_t>(slopes.size()) < n_head; i += 2) slopes.push_back(next[i]);
  return slopes;
}

torch::Tensor alibi_bias(const torch::Tensor& slopes, const torch::Tensor& q_positions,
                         const torch::Tensor& k_positions) {
  auto distance = (q_positions.unsqueeze(1) - k_positions.unsqueeze(0)).abs().to(slopes.dtype());  // [T, S]
  return -slopes.view({-1, 1, 1}) * distance;
}

}  // namespace attnlab
