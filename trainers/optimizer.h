// AdamW with nanoGPT's parameter groups: weight decay on matrices and embeddings
// (rank >= 2) only; biases and norm gains are not decayed.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "trainers/options.h"

namespace attnlab {

std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& model, const OptimizerOptions& options);

// Sets every group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace attnlab
