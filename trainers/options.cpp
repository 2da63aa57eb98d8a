#include "trainers/options.h"

#include <algorithm>
#include <cmath>

namespace attnlab {

TrainerOptions TrainerOptions::read(ConfigSection s) {
  TrainerOptions o;
  ATTNLAB_READ(s, o, max_iters);
  ATTNLAB_READ(s, o, max_minutes);
  ATTNLAB_READ(s, o, batch_size);
  ATTNLAB_READ(s, o, gradient_accumulation_steps);
  ATTNLAB_READ(s, o, eval_interval);
  ATTNLAB_READ(s, o, eval_iters);
  ATTNLAB_READ(s, o, log_interval);
  ATTNLAB_READ(s, o, checkpoint_interval);
  ATTNLAB_READ(s, o, best_metric);
  if (o.max_iters < 0) s.fail("max_iters", "must be >= 0");
  if (o.max_minutes < 0) s.fail("max_minutes", "must be >= 0 (0 = no limit)");
  if (o.batch_size < 1) s.fail("batch_size", "must be >= 1");
  if (o.gradient_accumulation_steps < 1) s.fail("gradient_accumulation_steps", "must be >= 1");
  if (o.eval_interval < 1) s.fail("eval_interval", "must be >= 1");
  if (o.eval_iters < 0) s.fail("eval_iters", "must be >= 0 (0 = the whole val split)");
  if (o.log_interval < 1) s.fail("log_interval", "must be >= 1");
  if (o.checkpoint_interval < 1) s.fail("checkpoint_interval", "must be >= 1");
  if (o.best_metric.rfind("val_", 0) != 0) s.fail("best_metric", "must name a validation metric: val_loss, val_accuracy, ...");
  return o;
}

OptimizerOptions OptimizerOptions::read(ConfigSection s) {
  OptimizerOptions o;
  ATTNLAB_READ(s, o, learning_rate);
  ATTNLAB_READ(s, o, weight_decay);
  ATTNLAB_READ(s, o, beta1);
  ATTNLAB_READ(s, o, beta2);
  ATTNLAB_READ(s, o, eps);
  ATTNLAB_READ(s, o, grad_clip);
  if (!(o.learning_rate > 0)) s.fail("learning_rate", "must be > 0");
  if (o.weight_decay < 0) s.fail("weight_decay", "must be >= 0");
  if (o.beta1 < 0 || o.beta1 >= 1) s.fail("beta1", "must be in [0, 1)");
  if (o.beta2 < 0 || o.beta2 >= 1) s.fail("beta2", "must be in [0, 1)");
  if (!(o.eps > 0)) s.fail("eps", "must be > 0");
  if (o.grad_clip < 0) s.fail("grad_clip", "must be >= 0 (0 disables clipping)");
  return o;
}

ScheduleOptions ScheduleOptions::read(ConfigSection s) {
  ScheduleOptions o;
  o.type = s.choice("type", o.type, {"cosine", "inverse_sqrt"});
  ATTNLAB_READ(s, o, decay_lr);
  ATTNLAB_READ(s, o, warmup_iters);
  ATTNLAB_READ(s, o, lr_decay_iters);
  ATTNLAB_READ(s, o, min_lr);
  if (o.warmup_iters < 0) s.fail("warmup_iters", "must be >= 0");
  if (o.lr_decay_iters < 0) s.fail("lr_decay_iters", "must be >= 0 (0 = trainer.max_iters)");
  if (o.min_lr < 0) s.fail("min_lr", "must be >= 0");
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
