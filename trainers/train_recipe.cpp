// The training recipe, top to bottom: config -> device and seed -> data -> model -> trainer.
#include <fmt/format.h>

#include <filesystem>

#include "core/config/loader.h"
#include "core/util/device.h"
#include "core/util/precision.h"
#include "core/util/files.h"
#include "trainers/experiment.h"
#include "trainers/pretrained.h"
#include "trainers/recipes.h"
#include "trainers/trainer.h"

namespace attnlab {
namespace fs = std::filesystem;

TrainSummary train(const TrainRequest& request) {
  const bool resuming = !request.resume_dir.empty();
  // 1. Config: a run directory carries the resolved config.yaml it was started with.
  Experiment exp = resuming ? Experiment::read_run(request.resume_dir, request.overrides)
                            : Experiment::read(load_config(request.config_path, request.overrides));
  const std::string run_dir = resuming ? request.resume_dir : exp.experiment.run_dir();
  const std::string last = run_dir + "/last.pt";
  if (resuming && !fs::exists(last))
    throw std::runtime_error("cannot resume: " + last + " does not exist (the run never saved a checkpoint)");
  if (!resuming && fs::exists(last))
    throw std::runtime_error("run directory " + run_dir + " already holds a checkpoint; continue it with "
                             "`attnlab train --resume " + run_dir + "` or choose another experiment.name");

  // 2. Where and how: device, threads, seed (before any weight is initialised).
  const torch::Device device = resolve_device(exp.experiment.device);
  exp.experiment.precision = resolve_precision(exp.experiment.precision, device);  // "auto" -> fp32 | bf16
  const ThreadCounts threads = configure_threads(exp.experiment.threads, exp.experiment.precision);
  seed_everything(static_cast<uint64_t>(exp.experiment.seed));
  fmt::print("experiment {} -> {} | device {} | {} | threads {} | seed {}\n", exp.experiment.name, run_dir,
             device.str(), exp.experiment.precision, threads.str(), exp.experiment.seed);

  // 3. Data, then the model it describes. The tokenizer is trained on the training split once
  //    and then travels with the run.
  Assembled a = assemble(exp, run_dir, /*saved_tokenizer=*/resuming, device);
  if (!exp.model.init_from.empty() && !resuming)
    fmt::print("init_from: {}* tensors loaded from {}\n", exp.model.init_prefix,
               init_from_pretrained(*a.model.module, exp.model, a.data.context));
  fmt::print("model: {}\n", describe(exp, *a.model.module, device));

  // 4. The run directory: resolved config + tokenizer, so the run can be reproduced, evaluated and sampled.
  fs::create_directories(run_dir);
  write_file_atomic(run_dir + "/config.yaml", exp.resolved_yaml);
  if (!resuming && a.data.tokenizer) a.data.tokenizer->save(run_dir);

  // 5. Train.
  Trainer trainer({a.model.module, a.model.task, a.data.source, exp.trainer, exp.optimizer, exp.schedule, device,
                   static_cast<uint64_t>(exp.experiment.seed), run_dir, exp.resolved_yaml, exp.experiment.precision});
  if (resuming) {
    trainer.resume(last);
    fmt::print("resumed from {} at step {}\n", last, trainer.state().step);
  }
  TrainResult result = trainer.fit();
  return {run_dir, result.step, result.best_metric, result.best_value, result.signal};
}

}  // namespace attnlab
