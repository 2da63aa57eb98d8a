// An experiment file, read and validated in one pass: every section parsed into its
// options struct, every unknown key rejected, before any data is read or model built.
#pragma once

#include <string>

#include "core/config/experiment.h"
#include "core/config/node.h"
#include "datasets/char_tokenizer.h"
#include "datasets/text_dataset.h"
#include "models/registry.h"
#include "trainers/options.h"

namespace attnlab {

struct Experiment {
  ExperimentOptions experiment;
  TextDataOptions data;
  ModelSpec model;
  TrainerOptions trainer;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  std::string resolved_yaml;  // every key with the value in force, defaults included

  static Experiment read(const NodePtr& tree);
  // The experiment a run directory was started with (its resolved config.yaml), with overrides.
  static Experiment read_run(const std::string& run_dir, const std::vector<std::string>& overrides = {});
};

// Builds the model for `tokenizer` and moves it to `device`.
BuiltModel build_model(const Experiment& exp, const CharTokenizer& tokenizer, const torch::Device& device);

// "gpt with 0.80M parameters on cpu"
std::string describe(const Experiment& exp, const torch::nn::Module& model, const torch::Device& device);

}  // namespace attnlab
