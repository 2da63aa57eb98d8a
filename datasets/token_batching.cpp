#include "datasets/token_batching.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace attnlab {

std::vector<std::vector<int64_t>> token_batches(const std::vector<int64_t>& order, const std::vector<int64_t>& lengths,
                                                int64_t max_tokens, int64_t window) {
  if (window < 1) throw std::invalid_argument("token_batches: window must be >= 1");
  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> batch;
  int64_t longest = 0;
  auto len = [&](int64_t i) { return lengths.at(static_cast<size_t>(i)); };
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(window)) {
    std::vector<int64_t> chunk(order.begin() + static_cast<std::ptrdiff_t>(start),
                               order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window)));
    std::stable_sort(chunk.begin(), chunk.end(), [&](int64_t a, int64_t b) { return len(a) < len(b); });
    for (int64_t i : chunk) {
      if (len(i) > max_tokens)
        throw std::runtime_error("an example of " + std::to_string(len(i)) + " tokens is longer than max_tokens (" +
                                 std::to_string(max_tokens) + ")");
      const int64_t rows = static_cast<int64_t>(batch.size()) + 1;
      if (!batch.empty() && rows * std::max(longest, len(i)) > max_tokens) {
        batches.push_back(std::move(batch));
        batch.clear();
        longest = 0;
      }
      batch.push_back(i);
      longest = std::max(longest, len(i));
    }
    // A window's last batch is closed too, so batches never mix windows (keeps them sorted).
    if (!batch.empty()) batches.push_back(std::move(batch));
    batch.clear();
    longest = 0;
  }
  return batches;
}

double padding_fraction(const std::vector<std::vector<int64_t>>& batches, const std::vector<int64_t>& lengths) {
  double cells = 0, real = 0;
  for (const auto& b : batches) {
    int64_t longest = 0;
    for (int64_t i : b) longest = std::max(longest, lengths.at(static_cast<size_t>(i))), real += lengths.at(static_cast<size_t>(i));
    cells += static_cast<double>(longest) * static_cast<double>(b.size());
  }
  return cells > 0 ? 1.0 - real / cells : 0.0;
}

}  // namespace attnlab
