// `attnlab export`: a run's model as a self-contained TorchScript file, verified before it is
// kept (core/export/torchscript.h). What travels inside besides the weights: attnlab.json
// (what the file is and how to call it), config.json (the run's resolved config) and the
// tokenizer's files, exactly as the run directory holds them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <filesystem>

#include "core/config/json.h"
#include "core/export/torchscript.h"
#include "core/util/device.h"
#include "core/util/threads.h"
#include "core/util/files.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/run_model.h"
#include "trainers/recipes.h"

namespace attnlab {

namespace {

namespace fs = std::filesystem;

// The tokenizer's files (tokenizer.json and any file of its kind), by file name.
std::map<std::string, std::string> tokenizer_files(const Tokenizer& tokenizer) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("attnlab-export-{}", ::getpid());
  fs::create_directories(dir);
  std::map<std::string, std::string> files;
  try {
    tokenizer.save(dir.string());
    for (const auto& entry : fs::directory_iterator(dir))
      files[entry.path().filename().string()] = read_file(entry.path().string());
  } catch (...) {
    fs::remove_all(dir);
    throw;
  }
  fs::remove_all(dir);
  return files;
}

// attnlab.json: what a program outside attnlab needs to call the file.
nlohmann::json describe_export(const Experiment& exp, const Assembled& a, const Exportable& what,
                               const std::string& ckpt, int64_t step) {
  const ModelContext& c = a.data.context;
  nlohmann::json j = {{"attnlab_export", 1},      {"model_type", exp.model.type}, {"objective", c.objective},
                      {"data_type", exp.data.type}, {"checkpoint", ckpt},         {"step", step}};
  for (const auto& m : what.methods) j["methods"][m.name] = m.signature;
  if (what.max_length > 0) j["max_length"] = what.max_length;
  if (!what.model_facts.empty()) j["model"] = what.model_facts;
  if (a.data.tokenizer) {
    const Tokenizer& t = *a.data.tokenizer;
    j["tokenizer"] = t.type();
    j["vocab_size"] = t.vocab_size();
    const SpecialTokens sp = t.specials();
    if (sp.complete())
      j["special_tokens"] = {{"pad", sp.pad}, {"unk", sp.unk}, {"cls", sp.cls}, {"sep", sp.sep}, {"mask", sp.mask}};
  }
  if (c.bos_id >= 0) j["bos_id"] = c.bos_id, j["eos_id"] = c.eos_id;
  if (!c.class_names.empty()) j["class_names"] = c.class_names;
  if (c.input_dims > 0) j["input_dims"] = c.input_dims;  // real-valued inputs, e.g. in-context regression
  if (c.objective == "offline_rl") {  // what a rollout outside attnlab needs (examples/python/rollout.py)
    j["env"] = c.env;
    j["observation_dims"] = c.input_dims;
    j["actions"] = c.num_actions > 0 ? nlohmann::json{{"type", "discrete"}, {"num_actions", c.num_actions}}
                                     : nlohmann::json{{"type", "continuous"}, {"dims", c.action_dims}};
    j["max_timestep"] = c.max_timestep;
    j["dataset_best_return"] = c.best_return;
    j["dataset_mean_return"] = c.mean_return;
  }
  if (c.image_channels > 0)
    j["image"] = {{"channels", c.image_channels}, {"height", c.image_height}, {"width", c.image_width},
                  {"normalise", "(pixel / 255 - mean) / std"},  {"mean", c.image_mean}, {"std", c.image_std}};
  return j;
}

}  // namespace

ExportSummary export_run(const ExportRequest& r, const std::function<void(const std::string&)>& on_stage) {
  Experiment exp = Experiment::read_run(r.run_dir);
  const std::string ckpt = run_checkpoint(r.run_dir, r.checkpoint);
  const std::string out = r.out.empty() ? r.run_dir + "/torchscript.pt" : r.out;
  const fs::path parent = fs::absolute(out).parent_path();
  if (!fs::is_directory(parent))
    throw std::runtime_error(fmt::format("cannot write {}: directory {} does not exist", out, parent.string()));
  configure_threads(exp.experiment.threads);
  const torch::Device cpu(torch::kCPU);  // exported on the CPU; torch.jit.load(map_location=...) moves it
  Assembled a = assemble_from_run(exp, r.run_dir, cpu);
  if (!a.model.exportable)
    throw std::runtime_error(fmt::format("model.type {} has no TorchScript export", exp.model.type));
  const TrainingState state = load_checkpoint(ckpt, *a.model.module, nullptr, cpu);
  const Exportable what = a.model.exportable();

  ExportOptions options;
  options.on_stage = on_stage;
  options.extra_files["attnlab.json"] = describe_export(exp, a, what, ckpt, state.step).dump(1) + "\n";
  options.extra_files["config.json"] = to_json(parse_yaml(exp.resolved_yaml, r.run_dir + "/config.yaml")).dump(1) + "\n";
  if (a.data.tokenizer)
    for (auto& [name, bytes] : tokenizer_files(*a.data.tokenizer)) options.extra_files[name] = bytes;

  const ExportReport report = export_torchscript(*a.model.module, what, out, options);
  ExportSummary s{out, report.passed, ""};
  const ExportShape traced = trace_shape(what);
  s.text = fmt::format("{} ({} step {}) as TorchScript, traced at batch {}{}, checked against the native model:\n{}",
                       r.run_dir, ckpt, state.step, traced.batch,
                       traced.length > 0 ? fmt::format(" x length {}", traced.length) : "", report.table());
  std::vector<std::string> methods, files;
  for (const auto& m : what.methods) methods.push_back(m.name);
  for (const auto& [name, bytes] : options.extra_files) files.push_back(name);
  if (report.passed)
    s.text += fmt::format("wrote {} (methods: {}; extra files: {})\n", out, fmt::join(methods, ", "),
                          fmt::join(files, ", "));
  else
    s.text += fmt::format("refused: {}; nothing written to {}\n", report.problem, out);
  return s;
}

}  // namespace attnlab
