#include "core/blocks/attention_rollout.h"

namespace attnlab {

torch::Tensor attention_rollout(const std::vector<torch::Tensor>& layers, double residual) {
  TORCH_CHECK(!layers.empty(), "attention_rollout: no layers");
  TORCH_CHECK(residual >= 0 && residual <= 1, "attention_rollout: residual must be in [0, 1]");
  torch::Tensor rollout;
  for (const auto& weights : layers) {
    TORCH_CHECK(weights.dim() == 4 && weights.size(-1) == weights.size(-2),
                "attention_rollout: each layer must be [B, heads, T, T], got ", weights.sizes());
    auto a = weights.to(torch::kFloat).mean(1);  // [B, T, T]
    auto eye = torch::eye(a.size(-1), a.options()).expand_as(a);
    a = (1.0 - residual) * a + residual * eye;
    a = a / a.sum(-1, /*keepdim=*/true);
    // Later layers act on what earlier ones produced: Â_l (Â_{l-1} ... Â_1).
    rollout = rollout.defined() ? torch::bmm(a, rollout) : a;
  }
  return rollout;
}

}  // namespace attnlab
