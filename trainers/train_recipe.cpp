// The training recipe, top to bottom: config -> device and seed -> data -> model -> trainer.
#include <fmt/format.h>

#include <filesystem>

#include "core/config/loader.h"
#include "core/util/device.h"
#include "core/util/files.h"
#include "trainers/experiment.h"
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
  const ThreadCounts threads = configure_threads(exp.experiment.threads);
  seed_everything(static_cast<uint64_t>(exp.experiment.seed));
  fmt::print("experiment {} -> {} | device {} | threads {} | seed {}\n", exp.experiment.name, run_dir, device.str(),
             threads.str(), exp.experiment.seed);

  // 3. Data: the tokenizer is built from the text once and then travels with the run.
  const std::string text = read_text_file(exp.data.path);
  const std::string tokenizer_path = run_dir + "/tokenizer.json";
  const CharTokenizer tokenizer = resuming ? CharTokenizer::load(tokenizer_path) : CharTokenizer::from_text(text);
  auto data = std::make_shared<TextDataset>(tokenizer.encode(text), exp.data.val_fraction, exp.model.block_size);
  fmt::print("data: {} | vocab {} | {} train / {} val tokens\n", exp.data.path, tokenizer.vocab_size(),
             data->size("train"), data->size("val"));

  // 4. Model, and the task that turns a batch into its loss.
  BuiltModel model = build_model(exp, tokenizer, device);
  fmt::print("model: {}\n", describe(exp, *model.module, device));

  // 5. The run directory: resolved config + tokenizer, so the run can be reproduced and sampled.
  fs::create_directories(run_dir);
  write_file_atomic(run_dir + "/config.yaml", exp.resolved_yaml);
  if (!resuming) tokenizer.save(tokenizer_path);

  // 6. Train.
  Trainer trainer({model.module, model.task, data, exp.trainer, exp.optimizer, exp.schedule, device,
                   static_cast<uint64_t>(exp.experiment.seed), run_dir, exp.resolved_yaml});
  if (resuming) {
    trainer.resume(last);
    fmt::print("resumed from {} at step {}\n", last, trainer.state().step);
  }
  TrainResult result = trainer.fit();
  return {run_dir, result.step, result.best_val_loss, result.signal};
}

}  // namespace attnlab
