// The `trainer:`, `optimizer:` and `schedule:` sections: how long and how a model trains.
#pragma once

#include <cstdint>
#include <string>

#include "core/config/section.h"

namespace attnlab {

struct TrainerOptions {
  int64_t max_iters = 5000;                 // optimizer steps
  double max_minutes = 0;                   // also stop (as finished) after this much training wall time; 0 = no limit
  // Also stop (as finished) once the training FLOPs counted (matrix products, forward and
  // backward, attention included: core/util/flop_counter.h) reach this; 0 = no limit. The
  // schedule then ends where the first step's count says the budget runs out.
  double max_flops = 0;
  int64_t batch_size = 12;                  // examples per micro-batch
  int64_t gradient_accumulation_steps = 1;  // micro-batches per optimizer step
  int64_t eval_interval = 250;              // evaluate every N steps (and at the end)
  int64_t eval_iters = 20;                  // batches per split in one evaluation; 0 = the whole val split
  int64_t log_interval = 10;                // console + metrics.jsonl every N steps
  int64_t checkpoint_interval = 250;        // write last.pt every N steps (and at the end)
  std::string best_metric = "val_loss";     // what best.pt keeps: val_loss (lower) or val_<metric> (higher)

  static TrainerOptions read(ConfigSection s);
};

struct OptimizerOptions {  // AdamW
  double learning_rate = 6e-4;
  double weight_decay = 0.1;  // applied to weights of rank >= 2 only (not biases, norms)
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double grad_clip = 1.0;  // max global gradient norm; 0 disables clipping

  static OptimizerOptions read(ConfigSection s);
};

// Linear warm-up to learning_rate, then a decay: "cosine" (nanoGPT: to min_lr at
// lr_decay_iters) or "inverse_sqrt" ("Attention Is All You Need": learning_rate *
// sqrt(warmup_iters / step), never below min_lr).
struct ScheduleOptions {
  std::string type = "cosine";  // cosine | inverse_sqrt
  bool decay_lr = true;        // false: constant learning_rate after warm-up
  int64_t warmup_iters = 100;
  int64_t lr_decay_iters = 0;  // cosine: step at which min_lr is reached; 0 = trainer.max_iters
  double min_lr = 6e-5;

  static ScheduleOptions read(ConfigSection s);
};

// The learning rate at `step` (0-based): a pure function, so resumed runs match exactly.
double learning_rate_at(int64_t step, double base_lr, const ScheduleOptions& schedule, int64_t max_iters);

}  // namespace attnlab
