// Choosing where a run executes: `device: auto|cpu|cuda` and the CPU thread count.
#pragma once

#include <torch/torch.h>

#include <string>

namespace attnlab {

// "auto" picks CUDA when LibTorch sees a GPU, else the CPU; "cuda" without a GPU is an error.
torch::Device resolve_device(const std::string& name);

struct ThreadCounts {
  int intra_op = 1;  // LibTorch's own (OpenMP) threads
  int blas = -1;     // OpenBLAS's thread pool; -1 when the BLAS is not OpenBLAS
  std::string str() const;  // "1 (BLAS 2)"
};

// Spreads `cores` CPU cores (0 = all of them, `threads: auto`) between LibTorch's intra-op
// pool and OpenBLAS's pool, by precision, so that the two pools never compete for a core:
//   fp32: OpenBLAS `cores` threads (it runs the float32 matrix products), LibTorch 1;
//   bf16: LibTorch `cores` threads (oneDNN runs the bf16 products on them), OpenBLAS 1.
// Measured on 2 cores: fp32 with both pools at 2 threads is 2.5x slower than this split.
ThreadCounts configure_threads(int64_t cores, const std::string& precision = "fp32");

// Seeds LibTorch's global generators (CPU and, when present, CUDA).
void seed_everything(uint64_t seed);

}  // namespace attnlab
