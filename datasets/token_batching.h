// Batches by token count, like fairseq's max_tokens: examples of similar length go together
// so that padding stays small, and no batch costs more than max_tokens once padded.
// LibTorch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace attnlab {

// Cuts `order` (example indices) into batches: each window of `window` consecutive examples
// is sorted by length (stable), then filled greedily while rows * longest <= max_tokens.
// Every example of `order` lands in exactly one batch. `lengths[i]` is example i's cost per
// row (for a pair: the longer side); an example longer than max_tokens is an error.
std::vector<std::vector<int64_t>> token_batches(const std::vector<int64_t>& order, const std::vector<int64_t>& lengths,
                                                int64_t max_tokens, int64_t window);

// The share of a batch plan's padded cells (rows * longest, summed) that is padding.
double padding_fraction(const std::vector<std::vector<int64_t>>& batches, const std::vector<int64_t>& lengths);

}  // namespace attnlab
