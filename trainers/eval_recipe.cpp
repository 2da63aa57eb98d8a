// `attnlab eval`: a finished run's checkpoint on every example of one split, with the
// whole-split metrics (confusion matrix, macro-F1) that periodic evaluation does not compute.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "core/util/device.h"
#include "core/util/threads.h"
#include "core/util/precision.h"
#include "core/util/files.h"
#include "trainers/attention_maps.h"
#include "trainers/checkpoint.h"
#include "trainers/evaluation.h"
#include "trainers/experiment.h"
#include "trainers/image_judge.h"
#include "trainers/recipes.h"

namespace attnlab {

namespace {

// The first n examples of the split with their attention maps, true and predicted labels.
RgbImage attention_picture(const Assembled& a, const std::string& split, int64_t n, const torch::Device& device,
                           const std::string& title) {
  torch::NoGradGuard no_grad;
  a.model.module->eval();
  const Batch batch = to_device(a.data.source->examples(split, 0, n), device);
  const TaskOutput out = a.model.task->compute(batch);
  const auto maps = a.model.attention_map(batch.at("input")).cpu();
  const auto images = batch.at("input").cpu();
  const auto pred = out.predictions.cpu(), label = out.labels.cpu();
  const auto& names = a.data.context.class_names;
  std::vector<AttentionMapExample> examples;
  for (int64_t i = 0; i < images.size(0); ++i)
    examples.push_back({images[i], maps[i], names.at(static_cast<size_t>(label[i].item<int64_t>())),
                        names.at(static_cast<size_t>(pred[i].item<int64_t>()))});
  return attention_grid(examples, title);
}

// A baseline run's curve: the first line of its eval_SPLIT.json curves (its model's own).
struct BaselineCurve {
  std::string run, name;
  std::vector<double> x, y;
};

// "eval_SPLIT[_last][_beamN][_seedS][_samplesN][_stepsS][_guidanceG]": the name of what an
// evaluation writes in its run directory (`_last`: --checkpoint last, so that it never
// overwrites the best checkpoint's figures).
std::string eval_name(const EvalRequest& r) {
  return "eval_" + r.split + (r.checkpoint == "last" ? "_last" : "") +
         (r.beam > 0 ? "_beam" + std::to_string(r.beam) : "") +
         (r.rollout_seed >= 0 ? "_seed" + std::to_string(r.rollout_seed) : "") +
         (r.samples > 0 ? "_samples" + std::to_string(r.samples) : "") +
         (r.sample_steps > 0 ? "_steps" + std::to_string(r.sample_steps) : "") +
         (r.guidance >= 0 ? fmt::format("_guidance{}", r.guidance) : "");
}

// The run's experiment with the request's decoding and rollout settings in place of its own.
Experiment read_run_for(const EvalRequest& r) {
  for (const auto& o : r.data_overrides)
    if (o.rfind("data.", 0) != 0 || o.find('=') == std::string::npos)
      throw std::runtime_error(fmt::format("'{}': eval takes data.KEY=VALUE overrides only (where the run's data is "
                                           "now, e.g. data.path=NEW); the rest of the run is its own",
                                           o));
  if (!r.data_overrides.empty()) Experiment::read_run(r.run_dir, r.data_overrides);  // a key typo, said as such
  Experiment exp = read_run_with_beam(r.run_dir, r.beam);
  std::vector<std::string> overrides = r.data_overrides;
  if (r.beam > 0) overrides.push_back("model.beam=" + std::to_string(r.beam));
  if (r.episodes > 0) overrides.push_back("model.eval_episodes=" + std::to_string(r.episodes));
  if (r.rollout_seed >= 0) overrides.push_back("model.eval_seed=" + std::to_string(r.rollout_seed));
  if (r.episodes > 0 || r.rollout_seed >= 0)
    exp = read_run_with_overrides(r.run_dir, overrides,
                                  r.episodes > 0 ? "--episodes applies to runs evaluated by rollout (model.type "
                                                   "decision_transformer)"
                                                 : "--rollout-seed applies to runs evaluated by rollout or sampling "
                                                   "(model.type decision_transformer or dit)");
  std::vector<std::string> sampling;
  if (!r.judge.empty()) sampling.push_back("model.judge=" + r.judge);
  if (r.samples > 0) sampling.push_back("model.eval_samples=" + std::to_string(r.samples));
  if (r.sample_steps > 0) sampling.push_back("model.eval_steps=" + std::to_string(r.sample_steps));
  if (r.guidance >= 0) sampling.push_back(fmt::format("model.eval_guidance={}", r.guidance));
  if (sampling.empty()) return r.data_overrides.empty() ? exp : Experiment::read_run(r.run_dir, overrides);
  sampling.insert(sampling.begin(), overrides.begin(), overrides.end());
  return read_run_with_overrides(r.run_dir, sampling,
                                 "--judge, --samples, --sample-steps and --guidance apply to runs that generate images "
                                 "(model.type dit)");
}

std::vector<BaselineCurve> read_baselines(const EvalRequest& r) {
  std::vector<BaselineCurve> out;
  for (const auto& run : r.baselines) {
    const std::string path = run + "/" + eval_name(r) + ".json";
    if (!std::filesystem::exists(path))
      throw std::runtime_error(fmt::format("--baseline {}: no {}; evaluate it first, with the same --split, --checkpoint, "
                                           "--beam and --rollout-seed", run, path));
    const auto j = nlohmann::json::parse(read_file(path));
    if (!j.contains("curves") || j["curves"]["lines"].empty())
      throw std::runtime_error(fmt::format("--baseline {}: {} has no curves to draw", run, path));
    const auto first = j["curves"]["lines"].begin();
    out.push_back({run, std::filesystem::path(run).lexically_normal().filename().string() + " (baseline)",
                   j["curves"]["x"].get<std::vector<double>>(), first.value().get<std::vector<double>>()});
  }
  return out;
}

// Adds the baselines' lines to `curves`: flat when a baseline was evaluated at one x.
void add_baselines(MetricCurves& curves, const std::vector<BaselineCurve>& baselines) {
  for (const auto& b : baselines) {
    if (b.x.size() == 1)
      curves.lines.emplace_back(b.name, std::vector<double>(curves.x.size(), b.y.at(0)));
    else if (b.x == curves.x)
      curves.lines.emplace_back(b.name, b.y);
    else
      throw std::runtime_error(
          fmt::format("--baseline {}: its curves are at other {} values than this run's", b.run, curves.x_name));
  }
}

}  // namespace

EvalReport evaluate_run(const EvalRequest& r) {
  Experiment exp = read_run_for(r);
  const std::string ckpt = run_checkpoint(r.run_dir, r.checkpoint);
  const torch::Device device = resolve_device(r.device.empty() ? exp.experiment.device : r.device);
  exp.experiment.precision = resolve_precision(exp.experiment.precision, device);  // "auto" -> fp32 | bf16
  configure_threads(exp.experiment.threads, exp.experiment.precision);
  Assembled a = assemble(exp, r.run_dir, /*saved_tokenizer=*/true, device);
  attach_judge(exp, a, device);
  a.data.source->check_split(r.split);  // before the checkpoint is read
  if (r.attention_maps > 0 && !a.model.attention_map)
    throw std::runtime_error("--attention-maps needs a model over image patches (model.type vit); " + r.run_dir +
                             " is a " + exp.model.type + " run");
  const auto baselines = read_baselines(r);  // before any work: a missing one is said at once
  const TrainingState state = load_checkpoint(ckpt, *a.model.module, nullptr, device);

  std::optional<ConfusionMatrix> confusion;
  if (!a.data.context.class_names.empty()) confusion.emplace(a.data.context.class_names);
  const int64_t batch_size = r.batch_size > 0 ? r.batch_size : exp.trainer.batch_size;
  const auto start = std::chrono::steady_clock::now();
  std::vector<GeneratedText> generated;
  const MetricSums sums = evaluate_split(*a.model.module, *a.model.task, *a.data.source, r.split, batch_size,
                                         /*iters=*/0, device, confusion ? &*confusion : nullptr, &generated,
                                         exp.experiment.precision);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const int64_t examples = a.data.source->num_examples(r.split);
  nlohmann::json j = {{"run_dir", r.run_dir},   {"checkpoint", ckpt},
                      {"step", state.step},     {"split", r.split},
                      {"examples", examples},   {"seconds", seconds},
                      {"examples_per_second", static_cast<double>(examples) / seconds}};
  // What the command line changed from the run's config (decoding, rollouts, sampling), so the
  // file says how its figures were made; the rest is the run's config.yaml.
  nlohmann::json flags = nlohmann::json::object();
  if (r.beam > 0) flags["beam"] = r.beam;
  if (r.episodes > 0) flags["episodes"] = r.episodes;
  if (r.rollout_seed >= 0) flags["rollout_seed"] = r.rollout_seed;
  if (!r.judge.empty()) flags["judge"] = r.judge;
  if (r.samples > 0) flags["samples"] = r.samples;
  if (r.sample_steps > 0) flags["sample_steps"] = r.sample_steps;
  if (r.guidance >= 0) flags["guidance"] = r.guidance;
  if (!r.data_overrides.empty()) flags["data"] = r.data_overrides;
  if (!flags.empty()) j["flags"] = flags;
  // Timings go to the JSON only: what eval prints is the same on every run of it.
  std::string text = fmt::format("{} ({} step {}) on the whole {} split: {} examples\n", r.run_dir, ckpt, state.step,
                                 r.split, examples);
  for (const auto& [name, value] : sums.shown()) {
    j[name] = value;
    const double count = sums.sums().at(name).count;  // 1 for a corpus figure (BLEU) the task summarised
    text += fmt::format("  {:<18} {:.4f}{}\n", name, value, count > 1 ? fmt::format("  ({:.0f} counted)", count) : "");
  }
  const std::string stem = r.run_dir + "/" + eval_name(r);
  if (!generated.empty()) {  // one line per example in each file, in the same order
    std::string src, out, ref;
    for (const auto& g : generated) src += g.source + "\n", out += g.output + "\n", ref += g.reference + "\n";
    write_file_atomic(stem + ".src.txt", src);
    write_file_atomic(stem + ".out.txt", out);
    write_file_atomic(stem + ".ref.txt", ref);
    const double per_second = static_cast<double>(generated.size()) / seconds;
    j["sentences_per_second"] = per_second;
    text += fmt::format("  {:<18} {:.1f}  (loss, decoding and scoring)\n  sources, outputs and references in {}"
                        ".src.txt, .out.txt, .ref.txt\n", "sentences/s", per_second, stem);
  }
  if (confusion && confusion->total() > 0) {  // a generator of labelled images predicts no classes
    j["macro_f1"] = confusion->macro_f1();
    j["majority_accuracy"] = confusion->majority_accuracy();
    j["confusion"] = confusion->to_json();
    text += fmt::format("  {:<18} {:.4f}\n  {:<18} {:.4f}  (always the most frequent class)\n\n", "macro_f1",
                        confusion->macro_f1(), "majority_accuracy", confusion->majority_accuracy());
    text += "confusion matrix (rows: true class, columns: predicted):\n" + confusion->to_table();
  }
  EvalReport report;
  MetricCurves curves = a.model.task->curves(sums);
  if (curves.empty() && !r.baselines.empty())
    throw std::runtime_error(fmt::format("--baseline: {} draws no curves to add a baseline to", r.run_dir));
  add_baselines(curves, baselines);
  if (!curves.empty()) {  // e.g. in-context regression: error against the number of examples
    j["curves"] = curves.to_json();
    text += fmt::format("\n{} ({} against {}):\n{}", curves.title, curves.y_label, curves.x_label, curves.table());
    report.picture_path = curves.draw(stem);
    j["curves_picture"] = report.picture_path;
    text += fmt::format("curves: {}\n", report.picture_path);
  }
  if (r.attention_maps > 0) {
    const int64_t n = std::min(r.attention_maps, a.data.source->num_examples(r.split));
    report.picture_path = r.run_dir + "/attention_" + r.split + (r.checkpoint == "last" ? "_last" : "") + ".png";
    write_png(report.picture_path,
              attention_picture(a, r.split, n, device,
                                fmt::format("{} ({} step {}): first {} {} images | attention rollout, brighter = "
                                            "more attention",
                                            r.run_dir, exp.model.type, state.step, n, r.split)));
    j["attention_maps"] = report.picture_path;
    text += fmt::format("\nattention maps of the first {} {} images: {}\n", n, r.split, report.picture_path);
  }
  report.json_path = stem + ".json";
  write_file_atomic(report.json_path, j.dump(2) + "\n");
  report.text = text;
  return report;
}

}  // namespace attnlab
