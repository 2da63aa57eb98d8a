#include "trainers/options.h"

#include <cmath>

namespace attnlab {

TrainerOptions TrainerOptions::read(ConfigSection s) {
  TrainerOptions o;
  o.max_iters = s.get("max_iters", o.max_iters);
  o.batch_size = s.get("batch_size", o.batch_size);
  o.gradient_accumulation_steps = s.get("gradient_accumulation_steps", o.gradient_accumulation_steps);
  o.eval_interval = s.get("eval_interval", o.eval_interval);
  o.eval_iters = s.get("eval_iters", o.eval_iters);
  o.log_interval = s.get("log_interval", o.log_interval);
  o.checkpoint_interval = s.get("checkpoint_interval", o.checkpoint_interval);
  if (o.max_iters < 0) s.fail("max_iters", "must be >= 0");
  if (o.batch_size < 1) s.fail("batch_size", "must be >= 1");
  if (o.gradient_accumulation_steps < 1) s.fail("gradient_accumulation_steps", "must be >= 1");
  if (o.eval_interval < 1) s.fail("eval_interval", "must be >= 1");
  if (o.eval_iters < 1) s.fail("eval_iters", "must be >= 1");
  if (o.log_interval < 1) s.fail("log_interval", "must be >= 1");
  if (o.checkpoint_interval < 1) s.fail("checkpoint_interval", "must be >= 1");
  return o;
}

OptimizerOptions OptimizerOptions::read(ConfigSection s) {
  OptimizerOptions o;
  o.learning_rate = s.get("learning_rate", o.learning_rate);
  o.weight_decay = s.get("weight_decay", o.weight_decay);
  o.beta1 = s.get("beta1", o.beta1);
  o.beta2 = s.get("beta2", o.beta2);
  o.eps = s.get("eps", o.eps);
  o.grad_clip = s.get("grad_clip", o.grad_clip);
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
  o.decay_lr = s.get("decay_lr", o.decay_lr);
  o.warmup_iters = s.get("warmup_iters", o.warmup_iters);
  o.lr_decay_iters = s.get("lr_decay_iters", o.lr_decay_iters);
  o.min_lr = s.get("min_lr", o.min_lr);
  if (o.warmup_iters < 0) s.fail("warmup_iters", "must be >= 0");
  if (o.lr_decay_iters < 0) s.fail("lr_decay_iters", "must be >= 0 (0 = trainer.max_iters)");
  if (o.min_lr < 0) s.fail("min_lr", "must be >= 0");
  return o;
}

double learning_rate_at(int64_t step, double base_lr, const ScheduleOptions& s, int64_t max_iters) {
  // nanoGPT's get_lr: linear warm-up, cosine decay to min_lr, then min_lr.
  if (step < s.warmup_iters) return base_lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_iters + 1);
  if (!s.decay_lr) return base_lr;
  const int64_t decay_end = s.lr_decay_iters > 0 ? s.lr_decay_iters : max_iters;
  if (step > decay_end || decay_end <= s.warmup_iters) return s.min_lr;
  const double ratio = static_cast<double>(step - s.warmup_iters) / static_cast<double>(decay_end - s.warmup_iters);
  const double coeff = 0.5 * (1.0 + std::cos(M_PI * ratio));
  return s.min_lr + coeff * (base_lr - s.min_lr);
}

}  // namespace attnlab
