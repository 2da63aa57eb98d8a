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

// threads > 0: LibTorch's intra-op threads and OpenBLAS's pool both use `threads`.
// threads == 0: both keep their defaults (Debian's LibTorch: 1 intra-op thread; OpenBLAS:
// one thread per core), the fastest setting measured for small models on 2 cores.
ThreadCounts configure_threads(int64_t threads);

// Seeds LibTorch's global generators (CPU and, when present, CUDA).
void seed_everything(uint64_t seed);

}  // namespace attnlab
