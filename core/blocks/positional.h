// Positional encodings added to the embeddings: a learned table (GPT-2, BERT, ViT) or the
// fixed sinusoids of "Attention Is All You Need", looked up by a positions tensor, never by
// arange(T). The kinds that live inside attention ("rope", "alibi") and "none" add nothing.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

// Positions 0..T-1 of a [B, T, ...] tensor, derived from the tensor itself so that a
// traced model stays shape-generic.
torch::Tensor positions_like(const torch::Tensor& x);

struct PositionalEncodingOptions {
  PositionalEncodingOptions(int64_t max_len, int64_t n_embd) : max_len_(max_len), n_embd_(n_embd) {}
  TORCH_ARG(int64_t, max_len);
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(std::string, kind) = "learned";  // "learned" | "sinusoidal" | "rope" | "alibi" | "none"
};

class PositionalEncodingImpl : public torch::nn::Module {
 public:
  explicit PositionalEncodingImpl(const PositionalEncodingOptions& options);
  // positions: [T] int64 -> [T, n_embd] (additive kinds only)
  torch::Tensor forward(const torch::Tensor& positions);
  // x [B, T, n_embd] with the encoding of `positions` added; x itself for the other kinds.
  torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& positions);
  bool additive() const { return weight.defined(); }

  PositionalEncodingOptions options;
  torch::Tensor weight;  // learned: a parameter; sinusoidal: the buffer "pe"; else undefined
};
TORCH_MODULE(PositionalEncoding);

// The sinusoid table: pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(p / 10000^(2i/d)).
torch::Tensor sinusoidal_table(int64_t max_len, int64_t n_embd);

}  // namespace attnlab
