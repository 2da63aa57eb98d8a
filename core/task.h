// The contract between the generic trainer, the datasets and the models:
// a dataset samples named-tensor batches, a task turns a batch into a loss and metrics.
#pragma once

#include <torch/torch.h>

#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/metrics/metric_curves.h"
#include "core/metrics/metric_sums.h"

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
  // The splits this data has, e.g. {"train", "val"} or {"train", "val", "test"}.
  virtual std::vector<std::string> splits() const { return {"train", "val"}; }
  // A random training batch of `split`. `draw` counts the training batches drawn before this
  // one (the trainer passes step * accumulation + micro-step), so a source that walks whole
  // epochs (every example once) can find its place from it without state of its own.
  virtual Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
                       int64_t draw = 0) const = 0;
  // Process `rank`'s share of training batch `draw` in a run of `world` processes that all
  // hold the same `rng`: rows [rank * batch_size, (rank + 1) * batch_size) of the batch of
  // world * batch_size that one process would draw, so a run sees the same examples whatever
  // its number of processes (each draws the whole batch: cheap next to a training step).
  // A source whose batches are not a number of rows (token-count batches) overrides it.
  virtual Batch sample_shard(const std::string& split, int64_t batch_size, int rank, int world,
                             std::mt19937_64& rng, int64_t draw = 0) const;
  // Batch `index` of `count` evaluation batches: a fixed sample spread evenly over the split,
  // the same at every evaluation (so losses compare across steps and runs, with less noise
  // than random batches).
  virtual Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const = 0;
  // The whole split as a fixed sequence of examples, for whole-split evaluation
  // (trainer.eval_iters: 0, `attnlab eval`): examples [start, start + count) of num_examples.
  virtual int64_t num_examples(const std::string& split) const = 0;
  virtual Batch examples(const std::string& split, int64_t start, int64_t count) const = 0;

  bool has_split(const std::string& split) const;
  // Throws, naming the splits there are, when `split` is not one of them.
  void check_split(const std::string& split) const;
};

// One generated example (a translation): its input, the model's output and the reference.
struct GeneratedText {
  std::string source, output, reference;
};

struct TaskOutput {
  torch::Tensor loss;      // scalar, differentiable: the mean over loss_count terms
  int64_t loss_count = 0;  // terms averaged into `loss` (tokens, masked positions, examples)
  int64_t num_tokens = 0;  // tokens (or examples) this batch trained on, for throughput
  MetricSums metrics;      // named (sum, count) pairs beyond the loss, e.g. "accuracy"
  // Classification: predicted and true class per example ([N] int64), for whole-split
  // metrics such as the confusion matrix; undefined for other tasks.
  torch::Tensor predictions, labels;
  // Text generation (translation): one entry per example, in batch order.
  std::vector<GeneratedText> generated;
};

// Turns a batch into a loss for a given model: the only model-specific part of training.
class Task {
 public:
  virtual ~Task() = default;
  virtual TaskOutput compute(const Batch& batch) = 0;
  // The metric names compute() reports besides "loss" (for trainer.best_metric).
  virtual std::vector<std::string> metric_names() const { return {}; }
  // Turns raw statistics summed over a whole evaluation into final metrics (e.g. corpus
  // BLEU from n-gram counts); called once per evaluation, after the last batch.
  virtual void summarize(MetricSums& sums) const { (void)sums; }
  // Figures an evaluation of `split` gets by running the model rather than from the split's
  // batches (an agent's return in its environment: models/decision_task.h), added to `sums`
  // once per evaluation, after the batches and before summarize(); the model is in eval mode.
  virtual void run_episodes(MetricSums& sums, const std::string& split) { (void)sums, (void)split; }
  // The evaluation's metrics as curves, for tasks whose figures are a function of something
  // (none by default).
  virtual MetricCurves curves(const MetricSums& sums) const {
    (void)sums;
    return {};
  }

  // State a task carries from one batch to the next (Transformer-XL's memory), as named
  // tensors: the trainer saves it in checkpoints (exact resume), and evaluation sets it aside
  // and restores it (CarriedStateScope). Empty: nothing carried yet.
  virtual bool carries_state() const { return false; }
  virtual std::map<std::string, torch::Tensor> carried_state() const { return {}; }
  // Replaces the carried state (empty: start afresh); throws, changing nothing, on tensors
  // that do not fit this task.
  virtual void set_carried_state(const std::map<std::string, torch::Tensor>& state) {
    if (!state.empty()) throw std::invalid_argument("this task carries no state between batches");
  }
};

// Sets a task's carried state aside for a scope (an evaluation that walks its own streams
// from a fresh state) and restores it at the scope's end, even when the scope throws.
class CarriedStateScope {
 public:
  explicit CarriedStateScope(Task& task) : task_(task), saved_(task.carried_state()) { task_.set_carried_state({}); }
  ~CarriedStateScope() { task_.set_carried_state(saved_); }
  CarriedStateScope(const CarriedStateScope&) = delete;
  CarriedStateScope& operator=(const CarriedStateScope&) = delete;

 private:
  Task& task_;
  std::map<std::string, torch::Tensor> saved_;
};

inline Batch BatchSource::sample_shard(const std::string& split, int64_t batch_size, int rank, int world,
                                       std::mt19937_64& rng, int64_t draw) const {
  Batch whole = sample(split, batch_size * world, rng, draw);
  if (world == 1) return whole;
  Batch mine;
  for (const auto& [name, t] : whole) {
    if (t.dim() == 0 || t.size(0) % world != 0)
      throw std::logic_error("cannot split batch tensor '" + name + "' of " + std::to_string(t.dim() ? t.size(0) : 0) +
                             " rows between " + std::to_string(world) + " processes");
    const int64_t rows = t.size(0) / world;
    mine[name] = t.narrow(0, rank * rows, rows).contiguous();
  }
  return mine;
}

inline bool BatchSource::has_split(const std::string& split) const {
  for (const auto& s : splits())
    if (s == split) return true;
  return false;
}

inline void BatchSource::check_split(const std::string& split) const {
  if (has_split(split)) return;
  std::string known;
  for (const auto& s : splits()) known += (known.empty() ? "" : ", ") + s;
  throw std::invalid_argument("this data has no split '" + split + "' (its splits: " + known + ")");
}

}  // namespace attnlab
