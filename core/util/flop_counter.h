// Counts the floating-point operations of matrix products (aten::mm, addmm, bmm: 2 per
// multiply-add) that run on this thread while a FlopCounter lives, through LibTorch's
// RecordFunction observers. Linear layers and matmul reach these kernels, so a model's
// forward is counted whatever its code looks like; elementwise work is left out.
#pragma once

#include <ATen/record_function.h>

namespace attnlab {

class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;

  double flops() const;  // counted so far

 private:
  at::CallbackHandle handle_;
  double before_;
};

}  // namespace attnlab
