// Choosing where a run executes: `device: auto|cpu|cuda` and the CPU thread count.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

// "auto" picks CUDA when LibTorch sees a GPU, else the CPU; "cuda" without a GPU is an error.
torch::Device resolve_device(const std::string& name);

// Sets LibTorch's intra-op threads (0 keeps its default) and returns the count in use.
int configure_threads(int64_t threads);

// Seeds LibTorch's global generators (CPU and, when present, CUDA).
void seed_everything(uint64_t seed);

}  // namespace attnlab
