#include "trainers/trainer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <sstream>

#include "core/util/allocator.h"
#include "core/util/checkpoint_file.h"
#include "core/util/flop_counter.h"
#include "core/util/precision.h"
#include "core/util/stop_signals.h"
#include "core/util/threads.h"
#include "trainers/evaluation.h"
#include "trainers/optimizer.h"

namespace attnlab {

namespace {

std::string rng_to_string(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

// The seed of LibTorch's generators (dropout) for `rank` at `step` of a multi-process run:
// every rank draws its own masks, and a resumed run draws the same ones again.
uint64_t step_seed(uint64_t seed, int rank, int64_t step) {
  uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(step + 1)) ^
               (0xD1B54A32D192ED03ull * static_cast<uint64_t>(rank + 1));
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;  // SplitMix64's finaliser
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

Trainer::Trainer(TrainerSetup setup)
    : s_(std::move(setup)),
      optimizer_(make_adamw(*s_.model, s_.optimizer)),
      train_rng_(s_.seed) {
  state_.config_yaml = s_.config_yaml;
  if (s_.group) {  // every rank starts from rank 0's weights
    for (auto& p : optimizer_->flat_params())
      if (p.numel() > 0) s_.group->broadcast(p);
    broadcast_buffers();
  }
  if (s_.group && s_.task->carries_state())
    throw std::invalid_argument("this model carries state from batch to batch (model.memory_length): a distributed "
                                "run cannot train it yet (each process would hold its own rows' memory); train it "
                                "in one process");
  // trainer.best_metric must be something this task reports: checked before any training.
  const std::string& key = s_.trainer.best_metric;
  const auto known = validation_metric_names(*s_.task);
  if (std::find(known.begin(), known.end(), key) == known.end())
    throw std::runtime_error(fmt::format("trainer.best_metric is '{}', but this task reports {}", key, fmt::join(known, ", ")));
}

std::string Trainer::checkpoint_path(const std::string& name) const { return s_.run_dir + "/" + name + ".pt"; }

void Trainer::resume(const std::string& path) {
  state_ = load_checkpoint(path, *s_.model, optimizer_.get(), s_.device);
  try {
    s_.task->set_carried_state(state_.carried_state);
  } catch (const std::invalid_argument& e) {
    throw CheckpointError("checkpoint " + path + ": " + e.what());
  }
  state_.config_yaml = s_.config_yaml;
  std::istringstream in(state_.sampler_state);
  in >> train_rng_;
  if (in.fail()) throw CheckpointError("checkpoint " + path + " has an unreadable sampler state");
  last_saved_step_ = state_.step;
  resumed_step_ = state_.step;
}

MetricsLog& Trainer::metrics() {
  // Opened at the first record, not before: a run refused by a check writes nothing.
  if (!metrics_) metrics_ = std::make_unique<MetricsLog>(s_.run_dir + "/metrics.jsonl", resumed_step_);
  return *metrics_;
}

double Trainer::elapsed_seconds() const {
  return elapsed_before_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start_).count();
}

void Trainer::diverged(const std::string& what) const {
  const auto good = newest_finite_checkpoint(s_.run_dir);  // read and checked, not assumed
  throw TrainingDiverged(fmt::format(
      "{} at step {}: the run diverged and stopped; nothing non-finite was saved. Newest finite checkpoint: {}. "
      "Try a lower optimizer.learning_rate, a longer schedule.warmup_iters or optimizer.grad_clip.",
      what, state_.step, good ? fmt::format("{} (step {})", good->first, good->second) : std::string("none")));
}

void Trainer::save(const std::string& name) {
  // Every rank holds the same weights: all refuse together, before anything is written.
  if (const std::string bad = non_finite_tensor(*s_.model); !bad.empty())
    diverged(fmt::format("weight '{}' holds NaN or infinity", bad));
  if (!is_main()) {  // rank 0 writes; the others only keep count
    if (name == "last") last_saved_step_ = state_.step;
    return;
  }
  metrics();  // a new run's metrics.jsonl is started afresh before its first checkpoint exists
  state_.sampler_state = rng_to_string(train_rng_);
  state_.elapsed_seconds = elapsed_seconds();
  state_.carried_state = s_.task->carried_state();
  save_checkpoint(checkpoint_path(name), *s_.model, optimizer_.get(), state_);
  if (name == "last") last_saved_step_ = state_.step;
}

MetricSums Trainer::evaluate(const std::string& split) {
  // The examples that one process with the global batch (batch_size x processes) evaluates:
  // `world` times the batches of batch_size, each rank taking every world-th of them.
  const auto& t = s_.trainer;
  const int64_t world = s_.group ? s_.group->size() : 1;
  int64_t batches = t.eval_iters * world;
  if (t.eval_iters == 0 && split != "val") {  // whole-split evaluation: train on as many examples as val has
    const int64_t global = t.batch_size * world;
    batches = (s_.data->num_examples("val") + global - 1) / global * world;
  }
  return evaluate_split(*s_.model, *s_.task, *s_.data, split, t.batch_size, batches, s_.device, nullptr, nullptr,
                        s_.precision, s_.group.get());
}

void Trainer::broadcast_buffers() {
  if (!s_.group) return;
  for (auto& b : s_.model->buffers())
    if (b.is_floating_point() && b.numel() > 0) s_.group->broadcast(b);
}

void Trainer::run_evaluation() {
  // BatchNorm's running statistics follow each rank's own batches (no SyncBatchNorm): every
  // rank evaluates with rank 0's, the statistics its checkpoint keeps (as DDP's
  // broadcast_buffers, once per evaluation instead of every step).
  broadcast_buffers();
  const MetricSums train = evaluate("train"), val = evaluate("val");
  for (const auto* sums : {&train, &val})
    for (const auto& [name, v] : sums->shown())
      if (!std::isfinite(v))
        diverged(fmt::format("{} {} is {}", sums == &train ? "train" : "val", name, v));
  state_.evaluated_step = state_.step;
  const std::string& key = s_.trainer.best_metric;
  const double value = val.value(key.substr(4));  // "val_accuracy" -> "accuracy"
  const bool best = std::isnan(state_.best_metric) ||
                    (higher_is_better(key) ? value > state_.best_metric : value < state_.best_metric);
  if (best) state_.best_metric = value;
  if (best && state_.step > 0) save("best");
  if (!is_main()) return;
  nlohmann::json record = {{"step", state_.step}, {"elapsed_s", elapsed_seconds()}};
  std::string line = fmt::format("eval step {}: train loss {:.4f}, val loss {:.4f}", state_.step,
                                 train.value("loss"), val.value("loss"));
  for (const auto& [name, v] : train.shown()) record["train_" + name] = v;
  for (const auto& [name, v] : val.shown()) {
    record["val_" + name] = v;
    if (name != "loss") line += fmt::format(", val {} {:.4f}", name, v);
  }
  fmt::print("{}{}\n", line, best ? " (best)" : "");
  std::fflush(stdout);
  metrics().write(record);
}

StepTiming Trainer::step(bool synchronize) {
  using clock = std::chrono::steady_clock;
  const int64_t accum = s_.trainer.gradient_accumulation_steps;
  const int rank = s_.group ? s_.group->rank() : 0, world = s_.group ? s_.group->size() : 1;
  adapt_threads();  // threads: auto follows the machine's load (core/util/threads.h)
  StepTiming t;
  t.lr = learning_rate_at(state_.step, s_.optimizer.learning_rate, s_.schedule, horizon());
  set_learning_rate(*optimizer_, t.lr);
  if (world > 1) torch::manual_seed(step_seed(s_.seed, rank, state_.step));
  auto mark = clock::now();
  auto lap = [&](double* ms) {  // adds the time since the previous lap to *ms
    if (synchronize && s_.device.is_cuda()) torch::cuda::synchronize();
    const auto now = clock::now();
    *ms += std::chrono::duration<double, std::milli>(now - mark).count();
    mark = now;
  };
  // Each micro-batch adds the gradient of its loss *sum* (mean x loss_count); the step then
  // divides by the number of terms over all micro-batches and ranks. So tasks whose batches
  // differ in terms (masked positions, target tokens) weigh every term alike, and any split
  // of a batch between micro-steps and processes gives the same step. A step of one micro-batch
  // on one process backpropagates its mean directly: the same gradient, without the rounding
  // of multiplying and dividing by the count.
  const bool weigh = accum * world > 1;
  double loss_sum = 0, terms = 0;
  // A FLOP budget counts the step's matrix products (forward and backward) as they run.
  std::optional<FlopCounter> counter;
  if (s_.trainer.max_flops > 0) counter.emplace();
  for (int64_t micro = 0; micro < accum; ++micro) {
    const int64_t draw = state_.step * accum + micro;
    Batch batch = to_device(s_.data->sample_shard("train", s_.trainer.batch_size, rank, world, train_rng_, draw),
                            s_.device);
    if (!batch.empty()) t.examples += batch.begin()->second.size(0);
    lap(&t.data_ms);
    TaskOutput out;
    {
      AutocastScope autocast(s_.precision, s_.device);
      out = s_.task->compute(batch);
    }
    lap(&t.forward_ms);
    if (out.loss_count > 0) {  // a share without terms (no masked position) adds nothing
      const auto n = static_cast<double>(out.loss_count);
      (weigh ? out.loss * n : out.loss).backward();
      loss_sum += out.loss.item<double>() * n, terms += n;
    }
    t.tokens += out.num_tokens;
    lap(&t.backward_ms);
  }
  // What every rank must agree on: the step's totals, and whether any rank was asked to stop.
  const int local_signal = signals_ ? signals_->raised() : 0;
  const bool local_out_of_time =
      s_.trainer.max_minutes > 0 && elapsed_seconds() >= s_.trainer.max_minutes * 60.0;
  std::vector<double> totals = {loss_sum, terms, static_cast<double>(t.tokens), static_cast<double>(t.examples),
                                local_signal == SIGINT ? 1.0 : 0.0, local_signal == SIGTERM ? 1.0 : 0.0,
                                local_out_of_time ? 1.0 : 0.0, counter ? counter->flops() : 0.0};
  counter.reset();
  if (s_.group) s_.group->all_reduce_sum(totals);
  lap(&t.sync_ms);
  t.loss = totals[1] > 0 ? totals[0] / totals[1] : std::nan("");
  t.tokens = static_cast<int64_t>(totals[2]), t.examples = static_cast<int64_t>(totals[3]);
  t.signal = totals[4] > 0 ? SIGINT : totals[5] > 0 ? SIGTERM : 0;
  t.out_of_time = totals[6] > 0;
  t.flops = totals[7];
  // every rank sees the same loss, so all stop here together
  if (!std::isfinite(t.loss)) diverged(fmt::format("the training loss is {}", t.loss));
  if (s_.group) {  // sum the gradients of all ranks, one all-reduce per flat buffer
    for (auto& g : optimizer_->flat_grads())
      if (g.numel() > 0) s_.group->all_reduce_sum(g);
  }
  lap(&t.allreduce_ms);
  if (weigh) optimizer_->scale_grads(1.0 / totals[1]);
  if (s_.optimizer.grad_clip > 0) {
    const double norm = optimizer_->clip_grad_norm(s_.optimizer.grad_clip);
    if (!std::isfinite(norm)) diverged(fmt::format("the gradient norm is {}", norm));
  }
  optimizer_->step();
  optimizer_->zero_grad();
  lap(&t.optimizer_ms);
  if (s_.trainer.max_flops > 0) {
    state_.flops += t.flops;
    // The schedule ends where the budget will: the first step's count gives the steps it buys.
    if (state_.horizon == 0 && t.flops > 0)
      state_.horizon = static_cast<int64_t>(
          std::min(static_cast<double>(s_.trainer.max_iters), std::ceil(s_.trainer.max_flops / t.flops)));
  }
  ++state_.step;
  return t;
}

int64_t Trainer::horizon() const {
  return state_.horizon > 0 ? state_.horizon : s_.trainer.max_iters;
}

TrainResult Trainer::fit() {
  StopSignals signals;
  signals_ = &signals;
  struct Reset {
    const StopSignals*& p;
    ~Reset() { p = nullptr; }
  } reset{signals_};
  try {
    return train_loop(signals);
  } catch (const StopRequested& stop) {  // raised inside an evaluation
    return stopped(stop.signal);
  }
}

TrainResult Trainer::stopped(int sig) {
  if (last_saved_step_ != state_.step) save("last");
  if (is_main())
    fmt::print(stderr, "{} received: stopped at step {} and saved {}; continue with: attnlab train --resume {}\n",
               signal_name(sig), state_.step, checkpoint_path("last"), s_.run_dir);
  return {state_.step, s_.trainer.best_metric, state_.best_metric, sig};
}

TrainResult Trainer::train_loop(const StopSignals& signals) {
  using clock = std::chrono::steady_clock;
  const auto& t = s_.trainer;
  s_.model->train();
  session_start_ = clock::now();
  elapsed_before_ = state_.elapsed_seconds;

  double window_ms = 0, window_data_ms = 0, window_sync_ms = 0, window_allreduce_ms = 0;
  int64_t window_steps = 0, window_tokens = 0;
  // The untrained baseline (as nanoGPT), or an evaluation that a stop interrupted: a resumed
  // run does it before its next step, and saves it when it was the run's last.
  const bool evaluation_due = state_.step == 0 || state_.step % t.eval_interval == 0 || state_.step >= t.max_iters;
  if (evaluation_due && state_.evaluated_step != state_.step) {
    run_evaluation();
    if (state_.step >= t.max_iters) save("last");
  }
  while (state_.step < t.max_iters) {
    const auto start = clock::now();
    const StepTiming timing = step();
    const double loss = timing.loss, lr = timing.lr;
    window_ms += std::chrono::duration<double, std::milli>(clock::now() - start).count();
    window_data_ms += timing.data_ms, window_sync_ms += timing.sync_ms, window_allreduce_ms += timing.allreduce_ms;
    window_steps += 1, window_tokens += timing.tokens;

    // A wall-clock or FLOP budget ends the run like its last step: evaluated and checkpointed.
    const bool out_of_time = timing.out_of_time || (t.max_flops > 0 && state_.flops >= t.max_flops);
    const bool final_step = state_.step == t.max_iters || out_of_time;
    if ((state_.step % t.log_interval == 0 || final_step) && is_main()) {
      const auto steps = static_cast<double>(window_steps);
      const double ms_per_step = window_ms / steps;
      const double tokens_per_s = static_cast<double>(window_tokens) / (window_ms / 1000.0);
      const double data_ms = window_data_ms / steps, sync_ms = window_sync_ms / steps;
      const double allreduce_ms = window_allreduce_ms / steps;
      const std::string comm = s_.group ? fmt::format(", sync {:.1f}, all-reduce {:.1f}", sync_ms, allreduce_ms) : "";
      // threads: auto gave up cores to other processes (core/util/threads.h): say so beside the speed.
      const ThreadCounts threads = current_threads();
      const std::string shared =
          threads.adaptive && threads.computing() < threads.configured
              ? fmt::format(" | threads {} of {} (other processes busy)", threads.computing(), threads.configured)
              : "";
      fmt::print("step {}/{} | loss {:.4f} | lr {:.2e} | {:.1f} ms/step (data {:.1f}{}) | {} tok/s | ETA {}{}\n",
                 state_.step, horizon(), loss, lr, ms_per_step, data_ms, comm, format_count(tokens_per_s),
                 format_duration(ms_per_step * static_cast<double>(std::max<int64_t>(0, horizon() - state_.step)) / 1000.0),
                 shared);
      std::fflush(stdout);
      nlohmann::json record = {{"step", state_.step},       {"loss", loss},
                               {"lr", lr},                  {"ms_per_step", ms_per_step},
                               {"data_ms_per_step", data_ms}, {"tokens_per_s", tokens_per_s},
                               {"elapsed_s", elapsed_seconds()}};
      if (s_.group) record["sync_ms_per_step"] = sync_ms, record["allreduce_ms_per_step"] = allreduce_ms;
      if (threads.adaptive) record["threads"] = threads.computing();
      if (t.max_flops > 0) record["flops"] = state_.flops;
      // Host memory, to tell a growing run's leak from memory the allocator keeps (docs/bench.md).
      const HeapUsage heap = heap_usage();
      // The kernel's two counters are synchronised lazily (by up to a few hundred KiB): the
      // peak so far is never below the resident set now.
      const double rss = current_rss_mib();
      record["rss_mib"] = rss, record["peak_rss_mib"] = std::max(rss, peak_rss_mib());
      if (heap.heap_mib >= 0) record["heap_mib"] = heap.heap_mib, record["heap_free_mib"] = heap.free_mib;
      metrics().write(record);
    }
    if (state_.step % t.log_interval == 0 || final_step)
      window_ms = 0, window_data_ms = 0, window_sync_ms = 0, window_allreduce_ms = 0, window_steps = 0, window_tokens = 0;
    // Evaluate before checkpointing, so that a checkpoint records its own evaluation.
    if (state_.step % t.eval_interval == 0 || final_step) run_evaluation();
    if (state_.step % t.checkpoint_interval == 0 || final_step) save("last");
    // Stop where every process stops: the step's agreed request, or (alone) one raised since.
    int sig = timing.signal;
    if (!s_.group && sig == 0) sig = signals.raised();
    if (sig != 0) return stopped(sig);
    if (out_of_time) break;
  }
  return {state_.step, t.best_metric, state_.best_metric, 0};
}

}  // namespace attnlab
