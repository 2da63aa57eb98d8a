// AdamW with nanoGPT's parameter groups (weight decay on matrices and embeddings, rank >= 2,
// only; biases and norm gains are not decayed), stepped over flat buffers.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "trainers/options.h"

namespace attnlab {

// LibTorch's AdamW (the same options, arithmetic, per-parameter state and checkpoint format)
// with each group's parameters, gradients and moments laid out in one flat buffer: the
// model's parameters and their .grad become views into it. A step is then a dozen vectorised
// ops over the whole group instead of a dozen small ops per tensor (41 tensors in the small
// GPT: 1.9 -> 0.3 ms per step, docs/bench.md), and clipping and zeroing are one op each.
// One FlatAdamW per model: a second one would take the parameters over.
class FlatAdamW : public torch::optim::AdamW {
 public:
  FlatAdamW(std::vector<torch::optim::OptimizerParamGroup> groups, torch::optim::AdamWOptions defaults);

  torch::Tensor step(LossClosure closure = nullptr) override;
  void load(torch::serialize::InputArchive& archive) override;
  void zero_grad();  // zeroes the flat gradients (they stay views)
  // Scales all gradients so that their global L2 norm is at most max_norm (as
  // torch::nn::utils::clip_grad_norm_); returns the norm before clipping.
  double clip_grad_norm(double max_norm);
  void scale_grads(double factor);  // multiplies every gradient by `factor`
  // The flat buffers (one per group) that the parameters and gradients are views of: what a
  // multi-process run broadcasts and all-reduces.
  std::vector<torch::Tensor> flat_params() const;
  std::vector<torch::Tensor> flat_grads() const;

 private:
  struct Flat {
    torch::Tensor params, grads, exp_avg, exp_avg_sq;  // [numel of the group]
    std::vector<std::pair<int64_t, int64_t>> spans;    // offset and numel of each parameter
  };
  // Points each parameter's AdamW state (exp_avg, exp_avg_sq) at views of the flat moments,
  // copying in the values a checkpoint brought.
  void adopt_state();
  std::vector<Flat> flat_;
};

std::unique_ptr<FlatAdamW> make_adamw(torch::nn::Module& model, const OptimizerOptions& options);

// Sets every group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace attnlab
