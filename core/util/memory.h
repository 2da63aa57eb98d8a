// How much memory this process can still take, and a refusal, before allocating, of work that
// needs more. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

// Bytes this process may still allocate: the least of the machine's MemAvailable
// (/proc/meminfo), its cgroup's limit less its usage (v2 memory.max, v1 limit_in_bytes), and
// the address-space limit (RLIMIT_AS) less what the process already maps. -1 when unknown.
int64_t available_memory_bytes();

// What a piece of work needs: named parts, each with the config keys that drive it.
struct MemoryNeed {
  struct Part {
    std::string what;  // "weights, gradients and AdamW moments"
    std::string keys;  // "model.n_layer, model.n_embd, model.mlp_ratio"
    double bytes = 0;
  };
  std::vector<Part> parts;
  double bytes() const;
};

// "12.3 GiB", "512 MiB"
std::string format_bytes(double bytes);

// Throws (a message with each part, its size and its keys, the largest first) when `need`
// exceeds `available` bytes; `what`: "a training step of gpt". available < 0: no check.
void require_memory(const MemoryNeed& need, const std::string& what, int64_t available);

}  // namespace attnlab
