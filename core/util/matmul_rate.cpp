#include "core/util/matmul_rate.h"

#include <chrono>

namespace attnlab {

double matmul_gflops(const std::map<MatmulShape, int64_t>& shapes, torch::ScalarType dtype, const torch::Device& device,
                     double min_ms) {
  torch::NoGradGuard no_grad;
  const auto options = torch::TensorOptions().dtype(dtype).device(device);
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  double flops = 0, seconds = 0;
  for (const auto& [shape, count] : shapes) {
    const bool batched = shape.batch > 0;
    auto a = batched ? torch::randn({shape.batch, shape.m, shape.k}, options) : torch::randn({shape.m, shape.k}, options);
    auto b = batched ? torch::randn({shape.batch, shape.k, shape.n}, options) : torch::randn({shape.k, shape.n}, options);
    auto run = [&] { return batched ? torch::bmm(a, b) : torch::mm(a, b); };
    run(), run();  // warm-up: first-call setup, caches
    sync();
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    int64_t reps = 0;
    double ms = 0;
    while (reps < 3 || ms < min_ms) {
      run();
      ++reps;
      sync();
      ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    }
    const double per_call = ms / 1000.0 / static_cast<double>(reps);
    flops += shape.flops() * static_cast<double>(count);
    seconds += per_call * static_cast<double>(count);
  }
  return seconds > 0 ? flops / seconds / 1e9 : 0;
}

}  // namespace attnlab
