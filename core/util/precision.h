// Mixed precision (`experiment.precision`): "bf16" runs the matrix products of a forward pass
// in bfloat16 through LibTorch's autocast (CPU: oneDNN's AVX-512 BF16 kernels; CUDA: tensor
// cores) while weights, gradients and optimizer state stay float32; "fp32" changes nothing.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

// "auto" -> "bf16" on a CPU whose matrix units compute in bf16 (AVX-512 BF16 or AMX, from
// /proc/cpuinfo), else "fp32" (CUDA included: set bf16 explicitly on GPUs that have it);
// "fp32" and "bf16" unchanged.
std::string resolve_precision(const std::string& precision, const torch::Device& device);

// Autocast on ("bf16") or off ("fp32", also inside a bf16 scope) for as long as it lives,
// on `device`'s kind; the previous state comes back at the end. Weights cast
// to bf16 inside the scope are cached until the outermost scope ends, so one scope must not
// span an optimizer step: open it around each forward pass.
class AutocastScope {
 public:
  AutocastScope(const std::string& precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  at::ScalarType old_dtype_ = at::kBFloat16;
};

}  // namespace attnlab
