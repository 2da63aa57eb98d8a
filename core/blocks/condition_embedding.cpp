#include "core/blocks/condition_embedding.h"

#include <cmath>

#include "core/blocks/positional.h"

namespace attnlab {

torch::Tensor timestep_features(const torch::Tensor& t, int64_t dims, double max_period, const torch::Tensor& like) {
  TORCH_CHECK(t.dim() == 1 && dims > 0 && dims % 2 == 0, "timestep_features expects t [B] and an even size, got ",
              t.sizes(), " and ", dims);
  const int64_t half = dims / 2;
  // 0 .. half - 1 by positions_like (a traced arange would bake in the CPU) over `like`'s last
  // dimension, or an arange on t's device when nothing is traced.
  const auto index = like.defined() ? positions_like(like.reshape({-1, like.size(-1)}).narrow(1, 0, half)).to(torch::kFloat)
                                    : torch::arange(half, t.options().dtype(torch::kFloat));
  const auto freqs = torch::exp(index * (-std::log(max_period) / half));
  const auto args = t.to(torch::kFloat).unsqueeze(1) * freqs.unsqueeze(0);  // [B, half]
  return torch::cat({torch::cos(args), torch::sin(args)}, 1);
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(const TimestepEmbeddingOptions& o) : options(o) {
  fc1 = register_module("fc1", torch::nn::Linear(o.frequency_dims(), o.n_embd()));
  fc2 = register_module("fc2", torch::nn::Linear(o.n_embd(), o.n_embd()));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& t) {
  return fc2(torch::silu(fc1(timestep_features(t, options.frequency_dims(), 10000, fc1->weight))));
}

ClassEmbeddingImpl::ClassEmbeddingImpl(int64_t classes, int64_t n_embd) : num_classes(classes) {
  TORCH_CHECK(classes > 0, "a class embedding needs at least one class");
  table = register_module("table", torch::nn::Embedding(classes + 1, n_embd));
}

torch::Tensor ClassEmbeddingImpl::forward(const torch::Tensor& labels) { return table(labels); }

}  // namespace attnlab
