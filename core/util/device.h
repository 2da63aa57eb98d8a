// Choosing where a run executes: `device: auto|cpu|cuda` (threads: core/util/threads.h).
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

// "auto" picks CUDA when LibTorch sees a GPU, else the CPU; "cuda" without a GPU is an error.
torch::Device resolve_device(const std::string& name);

// Seeds LibTorch's global generators (CPU and, when present, CUDA).
void seed_everything(uint64_t seed);

}  // namespace attnlab
