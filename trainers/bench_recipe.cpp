// `attnlab bench`: where an experiment's time goes, measured on this machine. The recipe,
// top to bottom: config -> threads and precision -> data and model in a scratch directory ->
// warm-up -> timed training steps (with their phases) -> one step under a FLOP counter ->
// the machine's matrix-multiply rate at the model's shapes -> evaluation -> decoding with and
// without the key/value cache -> table and JSON.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "core/config/loader.h"
#include "core/util/device.h"
#include "core/util/threads.h"
#include "core/util/files.h"
#include "core/util/flop_counter.h"
#include "core/util/matmul_rate.h"
#include "core/util/op_profiler.h"
#include "core/util/precision.h"
#include "trainers/bench_support.h"
#include "trainers/experiment.h"
#include "trainers/metrics_log.h"
#include "trainers/recipes.h"
#include "trainers/trainer.h"

namespace attnlab {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The machine's matrix-multiply rate for one precision, with that precision's thread split.
double matmul_rate(const std::map<MatmulShape, int64_t>& shapes, const std::string& precision, int64_t cores,
                   const torch::Device& device) {
  configure_threads(cores, precision);
  return matmul_gflops(shapes, precision == "bf16" ? torch::kBFloat16 : torch::kFloat, device);
}

}  // namespace

BenchReport bench(const BenchRequest& r) {
  if (r.steps < 1 || r.warmup < 0 || r.eval_batches < 0 || r.new_tokens < 0)
    throw std::invalid_argument("bench needs --steps >= 1 and non-negative --warmup, --eval-batches, --new-tokens");
  // 1. Config, device, threads, precision, seed.
  Experiment exp = Experiment::read(load_config(r.config_path, r.overrides));
  auto& e = exp.experiment;
  const torch::Device device = resolve_device(e.device);
  e.precision = resolve_precision(e.precision, device);  // "auto" -> fp32 | bf16
  const ThreadCounts threads = configure_threads(e.threads, e.precision);
  seed_everything(static_cast<uint64_t>(e.seed));

  // 2. Data and model, and a trainer whose run directory is scratch.
  ScratchDir scratch;
  Assembled a = assemble(exp, scratch.path, /*saved_tokenizer=*/false, device, /*training=*/true);
  int64_t params = 0;
  for (const auto& p : a.model.module->parameters()) params += p.numel();
  Trainer trainer({a.model.module, a.model.task, a.data.source, exp.trainer, exp.optimizer, exp.schedule, device,
                   static_cast<uint64_t>(e.seed), scratch.path, exp.resolved_yaml, e.precision});
  std::string text = fmt::format("bench {} | {} | {} | threads {} | malloc {} | {:.2f}M parameters\n", r.config_path,
                                 device.str(), e.precision, threads.str(), malloc_name(), static_cast<double>(params) / 1e6);

  // 3. Training steps: warm-up, then timed, each phase on its own.
  for (int64_t i = 0; i < r.warmup; ++i) trainer.step(true);
  std::vector<double> step_ms, data_ms, forward_ms, backward_ms, optimizer_ms;
  int64_t tokens = 0, examples = 0;
  for (int64_t i = 0; i < r.steps; ++i) {
    const auto start = Clock::now();
    const StepTiming t = trainer.step(true);
    step_ms.push_back(ms_since(start));
    data_ms.push_back(t.data_ms), forward_ms.push_back(t.forward_ms), backward_ms.push_back(t.backward_ms);
    optimizer_ms.push_back(t.optimizer_ms);
    tokens += t.tokens, examples += t.examples;
  }
  const Spread step(step_ms);
  const double per_step_tokens = static_cast<double>(tokens) / static_cast<double>(r.steps);
  const double per_step_examples = static_cast<double>(examples) / static_cast<double>(r.steps);
  const double tokens_per_s = per_step_tokens / (step.median / 1000.0);
  const double examples_per_s = per_step_examples / (step.median / 1000.0);

  // 4. FLOPs of one training step (forward + backward matrix products), and the machine's
  //    matrix-multiply rate at exactly those shapes, in both precisions.
  double step_flops = 0;
  std::map<MatmulShape, int64_t> shapes;
  {
    FlopCounter counter;
    trainer.step(true);
    step_flops = counter.flops(), shapes = counter.shapes();
  }
  const double achieved = step_flops / (step.median / 1000.0) / 1e9;
  const double fp32_rate = matmul_rate(shapes, "fp32", e.threads, device);
  const double bf16_rate = matmul_rate(shapes, "bf16", e.threads, device);
  configure_threads(e.threads, e.precision);
  const double rate = e.precision == "bf16" ? bf16_rate : fp32_rate;

  // 5. Operators by self time (optional): a few more steps under the profiler.
  std::vector<OpTime> ops;
  if (r.profile > 0) {
    OpProfiler profiler(r.profile_callers);
    for (int64_t i = 0; i < std::min<int64_t>(r.steps, 5); ++i) trainer.step(true);
    ops = profiler.table();
  }

  // 6. Evaluation batches, and decoding with and without the cache, at the run's precision.
  auto& model = *a.model.module;
  model.eval();
  torch::NoGradGuard no_grad;
  AutocastScope autocast(e.precision, device);
  std::vector<double> eval_ms;
  int64_t eval_tokens = 0;
  for (int64_t i = 0; i < r.eval_batches; ++i) {
    Batch batch = to_device(a.data.source->eval_batch("val", i, r.eval_batches, exp.trainer.batch_size), device);
    const auto start = Clock::now();
    eval_tokens += a.model.task->compute(batch).num_tokens;
    if (device.is_cuda()) torch::cuda::synchronize();
    eval_ms.push_back(ms_since(start));
  }
  double eval_total_ms = 0;
  for (double ms : eval_ms) eval_total_ms += ms;

  nlohmann::json decode = nullptr;
  if (a.model.decode) {
    Batch batch = to_device(a.data.source->eval_batch("val", 0, 1, exp.trainer.batch_size), device);
    a.model.decode(batch, std::min<int64_t>(r.new_tokens, 8), true);  // warm-up
    auto timed = [&](bool kv_cache) {
      const auto start = Clock::now();
      const int64_t n = a.model.decode(batch, r.new_tokens, kv_cache);
      const double ms = ms_since(start);
      return nlohmann::json{{"tokens", n}, {"ms", ms}, {"tokens_per_s", static_cast<double>(n) / (ms / 1000.0)}};
    };
    decode = {{"kv_cache", timed(true)}, {"no_kv_cache", timed(false)}};
    decode["speedup"] = decode["kv_cache"]["tokens_per_s"].get<double>() / decode["no_kv_cache"]["tokens_per_s"].get<double>();
  }

  // 7. The report.
  const double rss = peak_rss_mib();
  nlohmann::json j = {
      {"config", r.config_path},
      {"overrides", r.overrides},
      {"model_type", exp.model.type},
      {"device", device.str()},
      {"precision", e.precision},
      {"threads", {{"intra_op", threads.intra_op}, {"blas", threads.blas}}},
      {"malloc", malloc_name()},
      {"parameters", params},
      {"warmup_steps", r.warmup},
      {"timed_steps", r.steps},
      {"train_step",
       {{"ms", step.json()},
        {"tokens_per_step", per_step_tokens},
        {"examples_per_step", per_step_examples},
        {"tokens_per_s", tokens_per_s},
        {"examples_per_s", examples_per_s},
        {"phases_ms",
         {{"data", Spread(data_ms).json()},
          {"forward", Spread(forward_ms).json()},
          {"backward", Spread(backward_ms).json()},
          {"optimizer", Spread(optimizer_ms).json()}}},
        {"flops", step_flops},
        {"achieved_gflops", achieved}}},
      {"matmul_gflops", {{"fp32", fp32_rate}, {"bf16", bf16_rate}, {"shapes", shapes.size()}}},
      {"mfu", rate > 0 ? achieved / rate : 0.0},
      {"eval", {{"batches", r.eval_batches},
                {"ms_per_batch", r.eval_batches > 0 ? eval_total_ms / static_cast<double>(r.eval_batches) : 0.0},
                {"tokens_per_s", eval_total_ms > 0 ? static_cast<double>(eval_tokens) / (eval_total_ms / 1000.0) : 0.0}}},
      {"decode", decode},
      {"peak_rss_mib", rss}};
  if (!ops.empty()) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < ops.size() && i < static_cast<size_t>(r.profile); ++i)
      rows.push_back({{"op", ops[i].name}, {"calls", ops[i].calls}, {"self_ms", ops[i].self_ms}});
    j["profile"] = rows;
  }

  auto phase = [](const char* name, const std::vector<double>& v) {
    const Spread s(v);
    return fmt::format("  {:<12} {:>9.2f} ms  ({:.2f}-{:.2f})\n", name, s.median, s.p10, s.p90);
  };
  text += fmt::format("training step: {} timed after {} warm-up | {:.0f} tokens, {:.0f} examples per step\n", r.steps,
                      r.warmup, per_step_tokens, per_step_examples);
  text += fmt::format("  {:<12} {:>9.2f} ms  ({:.2f}-{:.2f}) | {} tokens/s | {:.1f} examples/s\n", "whole step",
                      step.median, step.p10, step.p90, format_count(tokens_per_s), examples_per_s);
  text += phase("data", data_ms) + phase("forward", forward_ms) + phase("backward", backward_ms) +
          phase("optimizer", optimizer_ms);
  text += fmt::format("FLOPs: {:.3f} GFLOP per step (matrix products, forward + backward) -> {:.1f} GFLOP/s achieved\n",
                      step_flops / 1e9, achieved);
  text += fmt::format("matrix multiply at the model's {} shapes: fp32 {:.1f} GFLOP/s, bf16 {:.1f} GFLOP/s\n",
                      shapes.size(), fp32_rate, bf16_rate);
  text += fmt::format("model FLOPs utilisation ({}): {:.0f}%\n", e.precision, 100.0 * j["mfu"].get<double>());
  if (r.eval_batches > 0)
    text += fmt::format("evaluation: {:.2f} ms per batch of {} ({} batches)\n", j["eval"]["ms_per_batch"].get<double>(),
                        exp.trainer.batch_size, r.eval_batches);
  if (!decode.is_null())
    text += fmt::format("decoding: {:.0f} tokens/s with the kv cache, {:.0f} without ({:.1f}x; {} tokens)\n",
                        decode["kv_cache"]["tokens_per_s"].get<double>(),
                        decode["no_kv_cache"]["tokens_per_s"].get<double>(), decode["speedup"].get<double>(),
                        decode["kv_cache"]["tokens"].get<int64_t>());
  text += fmt::format("peak RSS: {:.0f} MiB\n", rss);
  if (!ops.empty()) {
    double total = 0;
    for (const auto& op : ops) total += op.self_ms;
    text += r.profile_callers ? "operators by self time, under their callers:\n" : "operators by self time:\n";
    for (size_t i = 0; i < ops.size() && i < static_cast<size_t>(r.profile); ++i)
      text += fmt::format("  {:5.1f}%  {:>9.2f} ms  {:>6} calls  {}\n", 100.0 * ops[i].self_ms / total, ops[i].self_ms,
                          ops[i].calls, ops[i].name);
  }

  const std::string path = r.out.empty() ? e.out_dir + "/bench/" + e.name + ".json" : r.out;
  if (!fs::path(path).parent_path().empty()) fs::create_directories(fs::path(path).parent_path());
  write_file_atomic(path, j.dump(2) + "\n");
  return {path, text};
}

}  // namespace attnlab
