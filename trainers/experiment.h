// An experiment file, read and validated in one pass: every section parsed into its
// options struct, every unknown key rejected, before any data is read or model built.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "core/config/experiment.h"
#include "core/config/node.h"
#include "core/distributed/launch.h"
#include "datasets/registry.h"
#include "models/registry.h"
#include "trainers/options.h"

namespace attnlab {

struct Experiment {
  ExperimentOptions experiment;
  DataSpec data;
  ModelSpec model;
  TrainerOptions trainer;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  DistributedOptions distributed;
  std::string resolved_yaml;  // every key with the value in force, defaults included
  std::vector<NumericKey> numeric_keys;  // every numeric key read, with its range (for the tests)

  static Experiment read(const NodePtr& tree);
  // The experiment a run directory was started with (its resolved config.yaml), with overrides.
  static Experiment read_run(const std::string& run_dir, const std::vector<std::string>& overrides = {});
};

// A run's experiment with its decoding beam set to `beam` (model.beam; 0 keeps the run's):
// a run whose model does not decode is refused, naming its type.
Experiment read_run_with_beam(const std::string& run_dir, int64_t beam);
// The run's experiment with `overrides` of keys that only some families read: an override
// the run's family does not know is refused as "`refusal`; RUN_DIR is a TYPE run" (any other
// config error is said as it is).
Experiment read_run_with_overrides(const std::string& run_dir, const std::vector<std::string>& overrides,
                                   const std::string& refusal);

// The data, and the model built for it (moved to `device`).
struct Assembled {
  BuiltData data;
  BuiltModel model;
};

// The experiment's data (training a tokenizer, or loading the run's when `saved_tokenizer`,
// refused when it is not the one the run's model trained with), printing nothing.
BuiltData build_data(const Experiment& exp, const std::string& run_dir, bool saved_tokenizer);

// Builds the data (build_data, then prints its report lines to `report`: stderr where stdout
// is the product, as generate's text) and then the model its ModelContext describes.
// `training`: first refuses a model whose training step (trainer.batch_size) cannot fit in
// this process's memory.
Assembled assemble(const Experiment& exp, const std::string& run_dir, bool saved_tokenizer,
                   const torch::Device& device, bool training = false, std::FILE* report = stdout);

// The checkpoint a run's name refers to: "best" (falls back to last.pt) or "last".
std::string run_checkpoint(const std::string& run_dir, const std::string& which);

// "gpt with 0.80M parameters on cpu"
std::string describe(const Experiment& exp, const torch::nn::Module& model, const torch::Device& device);

}  // namespace attnlab
