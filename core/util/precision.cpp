#include "core/util/precision.h"

#include <ATen/autocast_mode.h>

#include <fstream>
#include <sstream>

namespace attnlab {

namespace {
bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    for (std::string w; words >> w;)
      if (w == "avx512_bf16" || w == "amx_bf16") return true;
    return false;
  }
  return false;
}
}  // namespace

std::string resolve_precision(const std::string& precision, const torch::Device& device) {
  if (precision != "auto") return precision;
  return device.is_cpu() && cpu_has_native_bf16() ? "bf16" : "fp32";
}

AutocastScope::AutocastScope(const std::string& precision, const torch::Device& device) {
  TORCH_CHECK(precision == "bf16" || precision == "fp32", "precision must be fp32 or bf16 here, got '", precision, "'");
  const bool enable = precision == "bf16";
  active_ = true;
  cuda_ = device.is_cuda();
  // As Python's torch.autocast(enabled=...): remember the state, set it, count the nesting.
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled(), old_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_enabled(enable), at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled(), old_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(enable), at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  }
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The bf16 copies of the weights are dropped when the outermost scope ends: the next
  // forward pass casts the weights the optimizer has changed since.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) at::autocast::set_enabled(was_enabled_), at::autocast::set_autocast_gpu_dtype(old_dtype_);
  else at::autocast::set_cpu_enabled(was_enabled_), at::autocast::set_autocast_cpu_dtype(old_dtype_);
}

}  // namespace attnlab
