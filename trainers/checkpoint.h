// Training checkpoints: model, optimizer (state and each group's options), step, RNG and
// sampler state, and the resolved config, in one verified file (see core/util/checkpoint_file.h).
#pragma once

#include <torch/torch.h>

#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <string>

namespace attnlab {

struct TrainingState {
  int64_t step = 0;  // optimizer steps completed
  double best_metric = std::numeric_limits<double>::quiet_NaN();  // trainer.best_metric's best value; NaN: none yet
  int64_t evaluated_step = -1;  // step of the last evaluation (not repeated on resume)
  std::string sampler_state;    // the training data generator (std::mt19937_64, as text)
  std::string config_yaml;      // the resolved config the run was started with
  double elapsed_seconds = 0;   // wall time spent training so far (all sessions of the run)
  double flops = 0;             // training FLOPs counted so far (trainer.max_flops runs only)
  int64_t horizon = 0;          // trainer.max_flops: the step the schedule ends at (0: max_iters)
  // The task's state between batches (Task::carried_state: Transformer-XL's memory), on the CPU.
  std::map<std::string, torch::Tensor> carried_state;
};

// Writes atomically; the RNG state of LibTorch's generators (for dropout) is included.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer, const TrainingState& state);

// Verifies the file, checks every model tensor's name and shape and that each is finite (a
// diverged run's NaN weights are refused, naming the tensor), and only then copies them into
// `model` (and the optimizer and RNG state, when `optimizer` is given).
TrainingState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                              const torch::Device& device);

// The name of the first model tensor holding a NaN or an infinity, or "" when all are finite.
std::string non_finite_tensor(const torch::nn::Module& model);

// The newest of RUN/last.pt and RUN/best.pt whose weights are all finite (read and checked),
// with its step; none when neither is.
std::optional<std::pair<std::string, int64_t>> newest_finite_checkpoint(const std::string& run_dir);

// Fine-tuning: copies the tensors named `prefix`... from checkpoint `path` into `model`.
// Every such model tensor must be in the checkpoint with the same shape (else a
// CheckpointError naming it, before anything is copied); the model's other tensors (a fresh
// head) keep their values.
void load_pretrained_tensors(const std::string& path, torch::nn::Module& model, const std::string& prefix);

}  // namespace attnlab
