// Counts the floating-point operations of matrix products (aten::mm, addmm, bmm: 2 per
// multiply-add) that run on this thread while a FlopCounter lives, through LibTorch's
// RecordFunction observers. Linear layers and matmul reach these kernels, so a model's
// forward (and its backward, whose gradients are matrix products too) is counted whatever
// its code looks like; elementwise work is left out. The shapes are kept, so that a benchmark
// can time the machine's matrix multiply at exactly the model's shapes.
#pragma once

#include <ATen/record_function.h>

#include <cstdint>
#include <map>
#include <tuple>

namespace attnlab {

// A matrix product [batch x] [m, k] @ [k, n]; batch 0 for mm/addmm, the batch count for bmm.
struct MatmulShape {
  int64_t batch = 0, m = 0, k = 0, n = 0;
  double flops() const { return 2.0 * static_cast<double>(batch > 0 ? batch : 1) * m * k * n; }
  bool operator<(const MatmulShape& o) const { return std::tie(batch, m, k, n) < std::tie(o.batch, o.m, o.k, o.n); }
};

class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;

  double flops() const;  // counted so far
  // How many times each shape ran while this counter lived (the innermost one, if nested).
  const std::map<MatmulShape, int64_t>& shapes() const { return shapes_; }

 private:
  at::CallbackHandle handle_;
  double before_;
  std::map<MatmulShape, int64_t> shapes_;
  std::map<MatmulShape, int64_t>* outer_shapes_;
};

}  // namespace attnlab
