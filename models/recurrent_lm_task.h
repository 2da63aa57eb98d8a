// Next-token prediction over streams of segments with Transformer-XL memory (Dai et al.
// 2019): each batch continues the one before row by row (data.stream), and the memory of the
// segments seen so far is carried from batch to batch as the task's state.
#pragma once

#include <functional>

#include "core/task.h"
#include "models/gpt.h"

namespace attnlab {

class RecurrentLMTask : public Task {
 public:
  RecurrentLMTask(GPT gpt, int64_t memory_length) : gpt_(std::move(gpt)), memory_length_(memory_length) {}

  // Batch: "input" [B, T] and "target" [B, T] int64 (target -1 ignored) and "first" [B] bool,
  // true for every row or none: the rows start their streams, and the memory starts afresh.
  // Throws when the batch has no "first" (data without data.stream) or mixes starts.
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override { return {"bits_per_char"}; }
  // An evaluation's loss by position in the segment (each position also sees the memory).
  MetricCurves curves(const MetricSums& sums) const override;

  // The memory as "memory.L" [B, M, n_embd] per layer L (float32, detached; empty before the
  // first segment).
  bool carries_state() const override { return true; }
  std::map<std::string, torch::Tensor> carried_state() const override;
  void set_carried_state(const std::map<std::string, torch::Tensor>& state) override;

 private:
  GPT gpt_;
  int64_t memory_length_;
  SegmentMemory memory_;
};

}  // namespace attnlab
