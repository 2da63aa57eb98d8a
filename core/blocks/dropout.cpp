#include "core/blocks/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <mutex>

namespace attnlab {

namespace {

inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The mask, in x's dtype: element i is 0 when its 32-bit draw is < threshold, else `scale`.
// Pairs of elements share one 64-bit draw, found from (seed, pair index) alone.
torch::Tensor draw_mask(const torch::Tensor& x, double scale, uint64_t seed, uint64_t threshold) {
  auto mask = torch::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t n = mask.numel();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, mask.scalar_type(), "attnlab_dropout_mask", [&] {
    scalar_t* out = mask.data_ptr<scalar_t>();
    const auto kept = static_cast<scalar_t>(scale), dropped = static_cast<scalar_t>(0);
    at::parallel_for(0, (n + 1) / 2, 16384, [&](int64_t begin, int64_t end) {
      for (int64_t pair = begin; pair < end; ++pair) {
        const uint64_t r = splitmix64(seed + static_cast<uint64_t>(pair) * 0x9E3779B97F4A7C15ull);
        out[2 * pair] = (r & 0xFFFFFFFFull) >= threshold ? kept : dropped;
        if (2 * pair + 1 < n) out[2 * pair + 1] = (r >> 32) >= threshold ? kept : dropped;
      }
    });
  });
  return mask;
}

// y = x * mask, and the gradient grad * mask: LibTorch's vectorised multiply does the rest.
class DropoutFunction : public torch::autograd::Function<DropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p, int64_t seed) {
    const auto threshold = static_cast<uint64_t>(p * 4294967296.0);  // P(draw < threshold) = p
    auto mask = draw_mask(x, 1.0 / (1.0 - p), static_cast<uint64_t>(seed), threshold);
    ctx->save_for_backward({mask});
    return x * mask;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0], torch::Tensor(), torch::Tensor()};
  }
};

uint64_t draw_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

}  // namespace

torch::Tensor fast_dropout(const torch::Tensor& x, double p, uint64_t seed) {
  TORCH_CHECK(p >= 0 && p < 1, "dropout probability must be in [0, 1), got ", p);
  return DropoutFunction::apply(x, p, static_cast<int64_t>(seed));
}

DropoutImpl::DropoutImpl(double p_) : p(p_) {
  TORCH_CHECK(p >= 0 && p < 1, "dropout probability must be in [0, 1), got ", p);
}

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p == 0) return x;
  if (!x.device().is_cpu()) return torch::dropout(x, p, /*train=*/true);
  return fast_dropout(x, p, draw_seed());
}

}  // namespace attnlab
