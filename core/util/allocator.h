// Process-wide memory settings for tensor workloads (the malloc in use: jemalloc when the build
// links it, else glibc's, tuned; oneDNN's primitive cache) and the figures that show their
// effect (resident set, heap). LibTorch's CPU allocator calls malloc/free for every activation.
#pragma once

#include <string>

namespace attnlab {

// "jemalloc" when jemalloc serves malloc (linked by the build, cmake/Dependencies.cmake, or
// preloaded), else "glibc" (or "libc" outside glibc). attnlab links jemalloc where it is
// found: glibc's arenas fragment when tensor sizes keep changing (docs/bench.md).
std::string malloc_name();

// glibc's malloc only (a no-op under jemalloc, whose settings are core/util/malloc_conf.cpp, and
// outside glibc): keeps allocations below 32 MiB on the heap and the heap from shrinking below
// 256 MiB of free top. Measured on 2 cores (configs/gpt/kjv_char.yaml's model, a process that
// had made no large allocation before): 82 ms/step with the defaults, 42 ms/step with these.
void tune_malloc_for_tensors();

// oneDNN (LibTorch's bf16 kernels on the CPU) caches a compiled primitive, with buffers of its
// own, for every operator shape it sees: 1,024 of them by default. A run whose shapes vary
// (the translator's length-bucketed batches: every batch a new shape) fills it with memory
// it never reuses: the translator's bf16 training peaked at 3.5 GiB against 1.6 in fp32
// (docs/bench.md). 16 primitives hold what fixed-shape models and decoding reuse, with the
// same step time and decoding speed: the whole bf16 run then peaks at 2.4 GiB on glibc's malloc
// (1.5 on jemalloc), the first 100 steps within 0.1 GiB of fp32's; 0 slowed decoding.
// Sets the capacity through oneDNN's API when LibTorch links it dynamically (Debian), else
// through ONEDNN_PRIMITIVE_CACHE_CAPACITY for its first use; a value the user exported wins.
constexpr int kOneDnnPrimitiveCacheCapacity = 16;
void limit_onednn_primitive_cache(int capacity = kOneDnnPrimitiveCacheCapacity);

// The cache's capacity as oneDNN reports it; -1 when its API is not reachable (a LibTorch
// with oneDNN linked in statically).
int onednn_primitive_cache_capacity();

// Transparent huge pages for malloc's large blocks. glibc (2.35+) madvises its mappings with
// MADV_HUGEPAGE when GLIBC_TUNABLES holds glibc.malloc.hugetlb=1, a setting it reads only at
// process start. Tensors above the mmap threshold are otherwise mapped afresh at each use and
// fault in 4 KiB at a time: the translator's bf16 step took 2,037 ms with 4.5 million minor
// faults per 8 steps, 680 ms and 0.1 million with the setting (docs/bench.md). So the command
// line re-executes itself once with the setting added when the kernel's THP mode is
// `madvise`; ATTNLAB_HUGE_PAGES=0 turns this off. Returns when it did not re-execute
// (already set, turned off, THP not in madvise mode, no glibc, jemalloc serves malloc and the
// setting would change nothing, or exec failed).
void reexec_with_huge_pages(char** argv);

// GLIBC_TUNABLES with glibc.malloc.hugetlb=1 added to `current` (null: unset); "" when
// `current` already sets glibc.malloc.hugetlb (the user's value wins).
std::string tunables_with_huge_pages(const char* current);

// The process's resident set now and its peak so far, in MiB (/proc/self/statm and
// getrusage; 0 where they cannot be read).
double current_rss_mib();
double peak_rss_mib();

// malloc's heap: the MiB it holds from the kernel and the part of it that is free, i.e.
// resident only because of fragmentation or a retention setting. jemalloc: its resident pages
// (stats.resident) and those minus the allocated bytes (stats.allocated); glibc: its arenas
// (mallinfo2's arena, mmapped chunks excluded) and their free bytes (fordblks). Both -1 where
// neither can be read. The trainer logs them beside the RSS
// (metrics.jsonl's rss_mib, peak_rss_mib, heap_mib, heap_free_mib) to tell a leak from an
// allocator that keeps freed memory.
struct HeapUsage {
  double heap_mib = -1, free_mib = -1;
};
HeapUsage heap_usage();

}  // namespace attnlab
