#include "trainers/experiment.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/config/loader.h"

namespace attnlab {

Experiment Experiment::read(const NodePtr& tree) {
  ConfigRoot root(tree);
  Experiment e;
  e.experiment = ExperimentOptions::read(root.section("experiment"));
  e.data = TextDataOptions::read(root.section("data"));
  e.model = configure_model(root.section("model"));
  e.trainer = TrainerOptions::read(root.section("trainer"));
  e.optimizer = OptimizerOptions::read(root.section("optimizer"));
  e.schedule = ScheduleOptions::read(root.section("schedule"));
  root.check_unknown_keys();
  e.resolved_yaml = root.resolved_yaml();
  return e;
}

Experiment Experiment::read_run(const std::string& run_dir, const std::vector<std::string>& overrides) {
  const std::string path = run_dir + "/config.yaml";
  if (!std::filesystem::exists(path))
    throw std::runtime_error(run_dir + " is not a run directory (no config.yaml); start one with `attnlab train CONFIG`");
  return read(load_config(path, overrides));
}

BuiltModel build_model(const Experiment& exp, const CharTokenizer& tokenizer, const torch::Device& device) {
  BuiltModel built = exp.model.build(ModelContext{tokenizer.vocab_size()});
  built.module->to(device);
  return built;
}

std::string describe(const Experiment& exp, const torch::nn::Module& model, const torch::Device& device) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return fmt::format("{} with {:.2f}M parameters on {}", exp.model.type, static_cast<double>(n) / 1e6, device.str());
}

}  // namespace attnlab
