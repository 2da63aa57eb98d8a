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

// y = x * keep * scale over n contiguous elements; with `draw`, keep is drawn first (element
// i is kept when the i-th 32-bit draw is >= threshold) and written to `keep`.
void masked_scale(const torch::Tensor& x, uint8_t* keep, const torch::Tensor& y, double scale, bool draw,
                  uint64_t seed, uint64_t threshold) {
  const int64_t n = x.numel();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, x.scalar_type(), "attnlab_dropout", [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    scalar_t* out = y.data_ptr<scalar_t>();
    const float s = static_cast<float>(scale);
    at::parallel_for(0, (n + 1) / 2, 16384, [&](int64_t begin, int64_t end) {
      for (int64_t pair = begin; pair < end; ++pair) {
        const int64_t i = 2 * pair;
        if (draw) {
          const uint64_t r = splitmix64(seed + static_cast<uint64_t>(pair) * 0x9E3779B97F4A7C15ull);
          keep[i] = static_cast<uint8_t>((r & 0xFFFFFFFFull) >= threshold);
          if (i + 1 < n) keep[i + 1] = static_cast<uint8_t>((r >> 32) >= threshold);
        }
        out[i] = keep[i] ? static_cast<scalar_t>(static_cast<float>(in[i]) * s) : static_cast<scalar_t>(0);
        if (i + 1 < n)
          out[i + 1] = keep[i + 1] ? static_cast<scalar_t>(static_cast<float>(in[i + 1]) * s) : static_cast<scalar_t>(0);
      }
    });
  });
}

class DropoutFunction : public torch::autograd::Function<DropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p, int64_t seed) {
    auto in = x.contiguous();
    auto keep = torch::empty(in.sizes(), in.options().dtype(torch::kUInt8));
    auto y = torch::empty_like(in);
    const auto threshold = static_cast<uint64_t>(p * 4294967296.0);  // P(draw < threshold) = p
    masked_scale(in, keep.data_ptr<uint8_t>(), y, 1.0 / (1.0 - p), true, static_cast<uint64_t>(seed), threshold);
    ctx->save_for_backward({keep});
    ctx->saved_data["scale"] = 1.0 / (1.0 - p);
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto keep = ctx->get_saved_variables()[0];
    auto grad = grads[0].contiguous();
    auto out = torch::empty_like(grad);
    masked_scale(grad, keep.data_ptr<uint8_t>(), out, ctx->saved_data["scale"].toDouble(), false, 0, 0);
    return {out, torch::Tensor(), torch::Tensor()};
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
