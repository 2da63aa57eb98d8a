#include "core/util/device.h"

#include <dlfcn.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

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

namespace {
// OpenBLAS (pthread build) keeps its own thread pool, which LibTorch's set_num_threads does
// not reach. Found at run time, so other BLAS libraries and official LibTorch builds work too.
template <class Fn>
Fn openblas_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}
}  // namespace

std::string ThreadCounts::str() const {
  return std::to_string(intra_op) + (blas > 0 ? " (BLAS " + std::to_string(blas) + ")" : "");
}

ThreadCounts configure_threads(int64_t cores, const std::string& precision) {
  auto set_blas = openblas_symbol<void (*)(int)>("openblas_set_num_threads");
  auto get_blas = openblas_symbol<int (*)()>("openblas_get_num_threads");
  const int n = cores > 0 ? static_cast<int>(cores) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const bool bf16 = precision == "bf16";
  torch::set_num_threads(bf16 ? n : 1);
  if (set_blas) set_blas(bf16 ? 1 : n);
  return {torch::get_num_threads(), get_blas ? get_blas() : -1};
}

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);  // also seeds every CUDA device when CUDA is present
}

}  // namespace attnlab
