#include "core/util/device.h"

#include <stdexcept>

namespace attnlab {

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw std::runtime_error("experiment.device is 'cuda' but LibTorch sees no CUDA device "
                               "(this LibTorch build may be CPU-only); use device: auto or cpu");
    return torch::kCUDA;
  }
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  throw std::runtime_error("unknown device '" + name + "' (expected auto, cpu or cuda)");
}

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);  // also seeds every CUDA device when CUDA is present
}

}  // namespace attnlab
