#include "trainers/experiment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "core/config/loader.h"
#include "trainers/data_facts.h"
#include "trainers/metrics_log.h"
#include "trainers/run_model.h"
#include "trainers/sweep.h"

namespace attnlab {

namespace {

// The top level before any section is read: a sweep file, or a misspelt section or
// `extends`, would otherwise surface as "model.type: is required".
void check_top_level(const ConfigNode& tree) {
  static const std::vector<std::string> sections = {"experiment", "data",     "model",      "trainer",
                                                    "optimizer",  "schedule", "distributed"};
  std::vector<std::string> candidates = sections;
  candidates.push_back("extends");
  const auto& sweep_keys = sweep_file_keys();
  for (const auto& e : tree.entries) {
    if (std::find(sections.begin(), sections.end(), e.key) != sections.end()) continue;
    if (std::find(sweep_keys.begin(), sweep_keys.end(), e.key) != sweep_keys.end())
      throw ConfigError(fmt::format("{}: unknown key '{}': a sweep file's key (a sweep runs with `attnlab compare {}`)",
                                    e.key_loc.str(), e.key, e.key_loc.file));
    const std::string near = nearest(e.key, candidates);
    throw ConfigError(fmt::format("{}: unknown key '{}'; {}", e.key_loc.str(), e.key,
                                  near.empty() ? "a config's top level holds extends and the sections " +
                                                     fmt::format("{}", fmt::join(sections, ", "))
                                               : "did you mean '" + near + "'?"));
  }
}

}  // namespace

Experiment Experiment::read(const NodePtr& tree) {
  check_top_level(*tree);
  ConfigRoot root(tree);
  Experiment e;
  e.experiment = ExperimentOptions::read(root.section("experiment"));
  e.data = configure_data(root.section("data"));
  e.model = configure_model(root.section("model"));
  e.trainer = TrainerOptions::read(root.section("trainer"));
  e.optimizer = OptimizerOptions::read(root.section("optimizer"));
  e.schedule = ScheduleOptions::read(root.section("schedule"));
  e.distributed = DistributedOptions::read(root.section("distributed"));
  // Relations between sections (those within one are checked by its reader).
  if (e.schedule.min_lr > e.optimizer.learning_rate)
    root.section("schedule").fail("min_lr", fmt::format("{} is above optimizer.learning_rate ({}): the rate would "
                                                        "decay upwards; min_lr must be <= learning_rate",
                                                        e.schedule.min_lr, e.optimizer.learning_rate));
  root.check_unknown_keys();
  e.resolved_yaml = root.resolved_yaml();
  e.numeric_keys = root.numeric_keys();
  return e;
}

Experiment Experiment::read_run(const std::string& run_dir, const std::vector<std::string>& overrides) {
  const std::string path = run_dir + "/config.yaml";
  if (!std::filesystem::exists(path))
    throw std::runtime_error(run_dir + " is not a run directory (no config.yaml); start one with `attnlab train CONFIG`");
  return read(load_config(path, overrides));
}

Experiment read_run_with_overrides(const std::string& run_dir, const std::vector<std::string>& overrides,
                                   const std::string& refusal) {
  Experiment exp = Experiment::read_run(run_dir);
  if (overrides.empty()) return exp;
  try {
    return Experiment::read_run(run_dir, overrides);
  } catch (const std::exception& e) {
    if (std::string(e.what()).find("unknown key") == std::string::npos) throw;
    throw std::runtime_error(refusal + "; " + run_dir + " is a " + exp.model.type + " run");
  }
}

Experiment read_run_with_beam(const std::string& run_dir, int64_t beam) {
  // model.beam is a key of the decoding families only.
  return read_run_with_overrides(run_dir, beam > 0 ? std::vector<std::string>{"model.beam=" + std::to_string(beam)}
                                                   : std::vector<std::string>{},
                                 "--beam applies to translators (model.type seq2seq)");
}

BuiltData build_data(const Experiment& exp, const std::string& run_dir, bool saved_tokenizer) {
  DataBuildContext ctx;
  ctx.run_dir = run_dir;
  ctx.load_tokenizer = saved_tokenizer;
  if (saved_tokenizer) ctx.tokenizer_fingerprint = saved_tokenizer_fingerprint(run_dir);
  ctx.seed = static_cast<uint64_t>(exp.experiment.seed);
  ctx.model_seq_len = exp.model.block_size;
  ctx.batch_size = exp.trainer.batch_size;
  BuiltData data = exp.data.build(ctx);
  data.context.data_type = exp.data.type;
  return data;
}

Assembled assemble(const Experiment& exp, const std::string& run_dir, bool saved_tokenizer,
                   const torch::Device& device, bool training, std::FILE* report) {
  Assembled a;
  a.data = build_data(exp, run_dir, saved_tokenizer);
  for (const auto& line : a.data.report) fmt::print(report, "{}\n", line);
  if (saved_tokenizer) check_data_facts(a.data, run_dir);  // the run's own data, not other data now at its paths
  // Host memory only: a CUDA model's weights and activations live on the device, whose free
  // memory this LibTorch does not report without the CUDA headers.
  if (training && exp.model.memory && device.is_cpu())
    require_memory(exp.model.memory(a.data.context, exp.trainer.batch_size),
                   fmt::format("a training step of this {} (trainer.batch_size {})", exp.model.type,
                               exp.trainer.batch_size),
                   available_memory_bytes());
  a.model = exp.model.build(a.data.context);
  a.model.module->to(device);
  return a;
}

std::string run_checkpoint(const std::string& run_dir, const std::string& which) {
  std::string path = run_dir + "/" + which + ".pt";
  if (which == "best" && !std::filesystem::exists(path)) path = run_dir + "/last.pt";
  if (!std::filesystem::exists(path)) throw std::runtime_error("no checkpoint " + path + " in " + run_dir);
  return path;
}

std::string describe(const Experiment& exp, const torch::nn::Module& model, const torch::Device& device) {
  int64_t n = 0, trainable = 0;
  for (const auto& p : model.parameters()) n += p.numel(), trainable += p.requires_grad() ? p.numel() : 0;
  std::string frozen = trainable < n ? fmt::format(" ({} trainable)", format_count(static_cast<double>(trainable))) : "";
  return fmt::format("{} with {:.2f}M parameters{} on {}", exp.model.type, static_cast<double>(n) / 1e6, frozen,
                     device.str());
}

}  // namespace attnlab
