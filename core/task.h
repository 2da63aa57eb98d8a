// The contract between the generic trainer, the datasets and the models:
// a dataset samples named-tensor batches, a task turns a batch into a loss.
#pragma once

#include <torch/torch.h>

#include <map>
#include <random>
#include <string>

namespace attnlab {

// Named tensors, e.g. {"input": [B, T], "target": [B, T]} for language modelling.
using Batch = std::map<std::string, torch::Tensor>;

inline Batch to_device(const Batch& batch, const torch::Device& device) {
  Batch out;
  for (const auto& [name, t] : batch) out[name] = t.to(device, /*non_blocking=*/true);
  return out;
}

// A source of training and evaluation batches. Sampling is a pure function of the
// generator passed in, so the trainer owns (and checkpoints) all data-order state.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // A random training batch; split: "train" or "val".
  virtual Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng) const = 0;
  // Batch `index` of `count` evaluation batches: a fixed sample spread evenly over the split,
  // the same at every evaluation (so losses compare across steps and runs, with less noise
  // than random batches).
  virtual Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const = 0;
};

struct TaskOutput {
  torch::Tensor loss;      // scalar, differentiable
  int64_t num_tokens = 0;  // tokens (or examples) this batch trained on, for throughput
};

// Turns a batch into a loss for a given model: the only model-specific part of training.
class Task {
 public:
  virtual ~Task() = default;
  virtual TaskOutput compute(const Batch& batch) = 0;
};

}  // namespace attnlab
