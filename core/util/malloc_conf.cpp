// jemalloc's settings for attnlab's executables, compiled into each that links jemalloc
// (cmake/Dependencies.cmake: attnlab_use_jemalloc). jemalloc reads this global at its first
// allocation, before main; MALLOC_CONF, read after it, overrides any of them.
//
// dirty_decay_ms / muzzy_decay_ms -1: never hand freed pages back to the kernel. A training
// step frees and reallocates the same activations every step; with jemalloc's default decay
// (10 s) they are returned and faulted in again, and the translator's bf16 step took 4.0 s
// instead of 0.57 (docs/bench.md). The resident set is then the run's peak in use plus
// jemalloc's fragmentation, which stays flat (the translator: 1.5 GiB for the whole run).

extern "C" {
// The name jemalloc looks up (Debian's build has no symbol prefix).
__attribute__((used, visibility("default"))) const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
