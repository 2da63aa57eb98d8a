// The one generic trainer: it knows nothing about any model. It draws batches from a
// BatchSource, asks a Task for the loss, and runs AdamW with warm-up + cosine decay,
// gradient accumulation and clipping, periodic evaluation, checkpoints and metrics.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "core/distributed/process_group.h"
#include "core/metrics/metric_sums.h"
#include "core/task.h"
#include "core/util/stop_signals.h"
#include "trainers/checkpoint.h"
#include "trainers/metrics_log.h"
#include "trainers/optimizer.h"
#include "trainers/options.h"

namespace attnlab {

// A NaN or infinite loss, gradient norm, evaluation metric or weight: the run stops, and
// nothing non-finite is written as a checkpoint.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainerSetup {
  std::shared_ptr<torch::nn::Module> model;  // already on `device`
  std::shared_ptr<Task> task;
  std::shared_ptr<const BatchSource> data;
  TrainerOptions trainer;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  torch::Device device = torch::kCPU;
  uint64_t seed = 1337;     // data order; evaluation batches
  std::string run_dir;      // checkpoints and metrics.jsonl go here
  std::string config_yaml;  // stored in every checkpoint
  std::string precision = "fp32";  // experiment.precision: "bf16" runs forward passes under autocast
  // The processes of a multi-process run (null: this process alone). Each trains on its share
  // of every batch, gradients are summed over all of them, and only rank 0 writes run_dir.
  std::shared_ptr<ProcessGroup> group;
};

// What one optimizer step did and where its time went (milliseconds, summed over the
// gradient-accumulation micro-steps): the numbers `attnlab bench` reports. Counts and the
// loss are over every process of a multi-process run.
struct StepTiming {
  double loss = 0;        // mean over every loss term of the step (tokens, masked positions, examples)
  double lr = 0;          // the learning rate it stepped with
  int64_t tokens = 0;    // tokens (or examples) trained on, as the task counts them
  int64_t examples = 0;  // rows of the batches (sequences, sentence pairs, images)
  double data_ms = 0, forward_ms = 0, backward_ms = 0, optimizer_ms = 0;
  // Multi-process only: sync_ms, the all-reduce of the step's totals, which also waits for the
  // slowest rank; allreduce_ms, the gradients' all-reduce, once all have arrived.
  double sync_ms = 0, allreduce_ms = 0;
  int signal = 0;         // SIGINT/SIGTERM that some process received before the step's end
  bool out_of_time = false;  // trainer.max_minutes has passed (on some process)
  double flops = 0;          // matrix-product FLOPs of the step, all processes (trainer.max_flops runs only)
};

struct TrainResult {
  int64_t step = 0;
  std::string best_metric;  // trainer.best_metric, e.g. "val_loss"
  double best_value = 0;
  int signal = 0;  // SIGINT/SIGTERM that stopped the run early, else 0
};

class Trainer {
 public:
  explicit Trainer(TrainerSetup setup);

  // Restores model, optimizer, step, RNG and data-order state from a checkpoint.
  void resume(const std::string& checkpoint_path);

  // Trains until trainer.max_iters, or until SIGINT/SIGTERM (then last.pt is saved first).
  TrainResult fit();

  // One optimizer step at the schedule's learning rate, without logging, evaluation or
  // checkpoints. The gradient is that of the mean loss over every term of the step (all
  // micro-batches of all processes, weighted by their loss_count). synchronize: wait for the
  // device after each phase, so that the phases' times are their own on CUDA (slower; for benchmarks).
  StepTiming step(bool synchronize = false);

  // Loss and metrics of `split`, in eval mode: the dataset's eval_iters fixed evaluation
  // batches, so evaluations compare across steps and never disturb training. With
  // eval_iters 0, val is evaluated whole and train on as many examples as val has. The
  // batches are those of the global batch: the same examples whatever the number of processes.
  MetricSums evaluate(const std::string& split);

  const TrainingState& state() const { return state_; }
  // The step the learning-rate schedule ends at: trainer.max_iters, or earlier where a FLOP
  // budget (trainer.max_flops) runs out.
  int64_t horizon() const;
  std::string checkpoint_path(const std::string& name) const;  // run_dir/name.pt

 private:
  // Multi-process: rank 0's floating-point buffers (BatchNorm's running statistics) to every rank.
  void broadcast_buffers();
  void run_evaluation();
  bool is_main() const { return !s_.group || s_.group->rank() == 0; }  // the process that writes and prints
  void save(const std::string& name);
  double elapsed_seconds() const;  // the run's training wall time, over every session of it
  MetricsLog& metrics();           // rank 0's metrics.jsonl, opened at its first record
  [[noreturn]] void diverged(const std::string& what) const;  // throws TrainingDiverged
  TrainResult train_loop(const StopSignals& signals);  // fit()'s steps
  TrainResult stopped(int sig);                        // saves last.pt (if not yet) and says how to resume

  TrainerSetup s_;
  std::unique_ptr<FlatAdamW> optimizer_;
  std::mt19937_64 train_rng_;
  TrainingState state_;
  int64_t last_saved_step_ = -1;
  std::chrono::steady_clock::time_point session_start_ = std::chrono::steady_clock::now();
  double elapsed_before_ = 0;  // from the checkpoint this session resumed
  const StopSignals* signals_ = nullptr;  // while fit() runs
  std::unique_ptr<MetricsLog> metrics_;  // rank 0 only
  int64_t resumed_step_ = -1;            // the checkpoint's step when resumed (metrics.jsonl continues)
};

}  // namespace attnlab
