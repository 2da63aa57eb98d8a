#include "trainers/options.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace attnlab {

TrainerOptions TrainerOptions::read(ConfigSection s) {
  TrainerOptions o;
  ATTNLAB_READ(s, o, max_iters, Range::at_least(0));
  ATTNLAB_READ(s, o, max_minutes, Range::at_least(0, "0 = no limit"));
  ATTNLAB_READ(s, o, max_flops, Range::closed(0, 1e24, "0 = no limit"));
  ATTNLAB_READ(s, o, batch_size, Range::at_least(1));
  ATTNLAB_READ(s, o, gradient_accumulation_steps, Range::closed(1, 1e6));
  ATTNLAB_READ(s, o, eval_interval, Range::at_least(1));
  ATTNLAB_READ(s, o, eval_iters, Range::closed(0, 1000000, "batches; 0 = the whole val split"));
  ATTNLAB_READ(s, o, log_interval, Range::at_least(1));
  ATTNLAB_READ(s, o, checkpoint_interval, Range::at_least(1));
  ATTNLAB_READ(s, o, best_metric);
  if (o.best_metric.rfind("val_", 0) != 0) s.fail("best_metric", "must name a validation metric: val_loss, val_accuracy, ...");
  return o;
}

OptimizerOptions OptimizerOptions::read(ConfigSection s) {
  OptimizerOptions o;
  ATTNLAB_READ(s, o, learning_rate, Range::above(0));
  ATTNLAB_READ(s, o, weight_decay, Range::closed(0, 10));
  ATTNLAB_READ(s, o, beta1, Range::half_open(0, 1));
  ATTNLAB_READ(s, o, beta2, Range::half_open(0, 1));
  ATTNLAB_READ(s, o, eps, Range::open_closed(0, 1));
  ATTNLAB_READ(s, o, grad_clip, Range::at_least(0, "0 disables clipping"));
  return o;
}

ScheduleOptions ScheduleOptions::read(ConfigSection s) {
  ScheduleOptions o;
  o.type = s.choice("type", o.type, {"cosine", "inverse_sqrt"});
  ATTNLAB_READ(s, o, decay_lr);
  ATTNLAB_READ(s, o, warmup_iters, Range::at_least(0));
  ATTNLAB_READ(s, o, lr_decay_iters, Range::at_least(0, "0 = trainer.max_iters"));
  ATTNLAB_READ(s, o, min_lr, Range::closed(0, 10));
  // Only the cosine decay has an end (lr_decay_iters; 0 = trainer.max_iters, which a short
  // run may well set below the warm-up).
  if (o.type == "cosine" && o.decay_lr && o.lr_decay_iters > 0 && o.warmup_iters > o.lr_decay_iters)
    s.fail("warmup_iters", fmt::format("{} is above lr_decay_iters ({}): the decay would end before the warm-up "
                                       "does; warmup_iters must be <= lr_decay_iters",
                                       o.warmup_iters, o.lr_decay_iters));
  return o;
}

double learning_rate_at(int64_t step, double base_lr, const ScheduleOptions& s, int64_t max_iters) {
  // nanoGPT's get_lr: linear warm-up, cosine decay to min_lr, then min_lr.
  if (step < s.warmup_iters) return base_lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_iters + 1);
  if (!s.decay_lr) return base_lr;
  if (s.type == "inverse_sqrt") {
    const double warm = static_cast<double>(std::max<int64_t>(s.warmup_iters, 1));
    return std::max(s.min_lr, base_lr * std::sqrt(warm / static_cast<double>(std::max<int64_t>(step, 1))));
  }
  const int64_t decay_end = s.lr_decay_iters > 0 ? s.lr_decay_iters : max_iters;
  if (step > decay_end || decay_end <= s.warmup_iters) return s.min_lr;
  const double ratio = static_cast<double>(step - s.warmup_iters) / static_cast<double>(decay_end - s.warmup_iters);
  const double coeff = 0.5 * (1.0 + std::cos(M_PI * ratio));
  return s.min_lr + coeff * (base_lr - s.min_lr);
}

}  // namespace attnlab
