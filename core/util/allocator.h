// glibc malloc settings for tensor workloads. LibTorch's CPU allocator calls malloc/free for
// every activation; with glibc's defaults a training step that frees its activations returns
// the memory to the kernel and faults it back in on the next step.
#pragma once

namespace attnlab {

// Keeps allocations below 32 MiB on the heap and the heap from shrinking below 256 MiB of
// free top. Measured on 2 cores (configs/gpt/kjv_char.yaml's model, a process that had made no
// large allocation before): 82 ms/step with the defaults, 42 ms/step with these. No-op
// outside glibc.
void tune_malloc_for_tensors();

}  // namespace attnlab
