// `attnlab compare`: a sweep's runs trained one after another into ordinary run directories,
// then the table and curves that answer which variant is better, by how much, at what cost.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "core/config/loader.h"
#include "core/util/flop_counter.h"
#include "core/util/files.h"
#include "core/util/json_file.h"
#include "core/util/run_lock.h"
#include "trainers/evaluation.h"
#include "trainers/experiment.h"
#include "trainers/metrics_log.h"
#include "trainers/recipes.h"
#include "trainers/sweep.h"
#include "trainers/sweep_report.h"

namespace attnlab {

namespace {

namespace fs = std::filesystem;

// Reads every variant's experiment (base + overrides) before anything trains, so that a typo
// in the tenth variant is found now. Returns the metric the sweep compares; `resolved` gets
// each run's resolved config, by run directory.
std::string validate(const Sweep& sweep, std::map<std::string, std::string>& resolved) {
  std::string metric = sweep.metric;
  const auto runs = sweep.runs();
  std::vector<Experiment> experiments;
  for (const auto& run : runs) {
    try {
      experiments.push_back(Experiment::read(load_config(sweep.base, run.overrides)));
    } catch (const std::exception& e) {
      const auto& v = *std::find_if(sweep.variants.begin(), sweep.variants.end(),
                                    [&](const SweepVariant& x) { return x.name == run.variant; });
      throw ConfigError(fmt::format("{}: variant '{}' (on {}): {}", v.loc.str(), run.variant, sweep.base, e.what()));
    }
    if (metric.empty()) metric = experiments.back().trainer.best_metric;
    resolved[run.run_dir] = experiments.back().resolved_yaml;
  }
  if (metric.rfind("val_", 0) != 0)
    throw ConfigError(fmt::format("{}: metric must name a validation metric (val_loss, val_accuracy, ...), got '{}'",
                                  sweep.path, metric));
  // The metric must be one the runs' task reports (model options such as eval_bleu change the
  // list): built once per distinct model and data section, so that a typo fails now, not
  // after the sweep. This reads the data (and trains a subword tokenizer); it writes nothing.
  std::set<std::string> checked;
  for (size_t i = 0; i < runs.size(); ++i) {
    const SweepRun& run = runs[i];
    const Experiment& exp = experiments[i];
    std::string key;
    for (const auto& [k, v] : flatten_config(exp.resolved_yaml))
      if (k.rfind("model.", 0) == 0 || k.rfind("data.", 0) == 0) key += k + "=" + v + "\n";
    if (!checked.insert(key).second) continue;
    const Assembled a = assemble(exp, run.run_dir, /*saved_tokenizer=*/false, torch::kCPU);
    const auto known = validation_metric_names(*a.model.task);
    if (std::find(known.begin(), known.end(), metric) == known.end())
      throw ConfigError(fmt::format("{}: metric '{}' is not reported by variant '{}' ({} on {}), which reports {}",
                                    sweep.path, metric, run.variant, exp.model.type, exp.data.type,
                                    fmt::join(known, ", ")));
  }
  return metric;
}

// Parameters and training FLOPs of each variant, measured on the model of its first finished run.
std::map<std::string, VariantCost> measure_costs(const SweepLayout& layout) {
  std::map<std::string, VariantCost> costs;
  for (const auto& name : layout.variants)
    for (int64_t seed : layout.seeds) {
      const std::string dir = layout.run_dir(name, seed);
      if (!fs::exists(dir + "/" + kFinishedMarker)) continue;
      const Experiment exp = Experiment::read_run(dir);
      Assembled a = assemble(exp, dir, /*saved_tokenizer=*/true, torch::kCPU);
      VariantCost c;
      for (const auto& p : a.model.module->parameters()) c.parameters += p.numel();
      if (a.model.task->carries_state()) {
        // A task that carries state (Transformer-XL memory) costs what a batch costs once the
        // earlier ones have filled that state: the model alone would leave the memory out.
        torch::NoGradGuard no_grad;
        a.model.module->eval();
        std::mt19937_64 rng(exp.experiment.seed);
        auto state_size = [&] {
          int64_t n = 0;
          for (const auto& [name, t] : a.model.task->carried_state()) n += t.numel();
          return n;
        };
        int64_t draw = 0;
        for (int64_t before = -1; draw < 64 && state_size() != before; ++draw) {
          before = state_size();
          a.model.task->compute(a.data.source->sample("train", exp.trainer.batch_size, rng, draw));
        }
        FlopCounter counter;
        const TaskOutput out = a.model.task->compute(a.data.source->sample("train", exp.trainer.batch_size, rng, draw));
        c.train_flops = 3 * counter.flops() / static_cast<double>(std::max<int64_t>(out.num_tokens, 1));
        c.unit = "token";
      } else if (a.model.exportable) {
        const Exportable what = a.model.exportable();
        const int64_t length = what.max_length;
        // Training: the forward, and a backward of twice its cost.
        const ExportMethod& forward = what.methods.back();
        const Tensors example = forward.example(1, length, 1);
        torch::NoGradGuard no_grad;
        a.model.module->eval();
        FlopCounter counter;
        forward.run(example);
        c.train_flops = 3 * counter.flops() / static_cast<double>(std::max<int64_t>(length, 1));
        c.unit = length > 0 ? "token" : "image";
      }
      costs[name] = c;
      break;
    }
  return costs;
}

// Empties a run directory under its lock, so that a run another process is training (the same
// sweep started twice) is refused, not deleted under it.
void clear_run(const std::string& dir) {
  RunLock lock(dir);
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
}

// A run directory of the sweep's from an earlier invocation must hold the run the sweep now
// describes: an edited variant would otherwise be skipped as finished (or resumed) and reported
// under its new label. Changed runs are refused, listed with what changed, or with
// --retrain-changed deleted so that they train afresh.
void check_existing_runs(const Sweep& sweep, const std::map<std::string, std::string>& resolved, bool retrain) {
  std::vector<std::string> changed;
  for (const auto& run : sweep.runs()) {
    const std::string config = run.run_dir + "/config.yaml";
    // Without a checkpoint a run is started afresh anyway; only saved runs can be stale.
    if (!fs::exists(config) || !fs::exists(run.run_dir + "/last.pt")) continue;
    // A run still to be resumed gets the budget again on resume (below): only the rest must agree.
    std::set<std::string> budget_keys;
    if (!fs::exists(run.run_dir + "/" + kFinishedMarker)) {
      if (sweep.steps > 0) budget_keys.insert("trainer.max_iters");
      if (sweep.minutes > 0) budget_keys.insert("trainer.max_minutes");
      if (sweep.flops > 0) budget_keys.insert("trainer.max_flops");
    }
    const auto diffs = config_differences(read_file(config), resolved.at(run.run_dir), budget_keys);
    if (diffs.empty()) continue;
    if (retrain) {
      fmt::print("[compare] {} seed {}: its config changed ({}); retraining it\n", run.variant, run.seed,
                 fmt::join(diffs, "; "));
      clear_run(run.run_dir);
      continue;
    }
    changed.push_back(fmt::format("  {} seed {} ({}): {}", run.variant, run.seed, run.run_dir, fmt::join(diffs, "; ")));
  }
  if (!changed.empty())
    throw ConfigError(fmt::format(
        "{}: {} run(s) in {} were trained with another config than the sweep now gives them:\n{}\n"
        "Rerun with --retrain-changed to delete and retrain them, or set another out_dir.",
        sweep.path, changed.size(), sweep.out_dir, fmt::join(changed, "\n")));
}

CompareSummary report(const SweepLayout& layout, CompareSummary summary) {
  const SweepReport r = write_sweep_report(layout, measure_costs(layout));
  summary.markdown = r.markdown;
  summary.written = r.written;
  return summary;
}

}  // namespace

CompareSummary compare(const CompareRequest& request) {
  if (!request.report_dir.empty()) {
    const std::string path = request.report_dir + "/sweep.json";
    if (!fs::exists(path))
      throw std::runtime_error(request.report_dir + " is not a sweep directory (no sweep.json); run `attnlab compare SWEEP.yaml`");
    CompareSummary s;
    s.out_dir = request.report_dir;
    SweepLayout layout;
    read_json_file(path, [&](const nlohmann::json& j) { layout = SweepLayout::from_json(j); });
    layout.out_dir = request.report_dir;  // wherever the folder is now
    return report(layout, s);
  }

  const Sweep sweep = Sweep::read(request.sweep_path);
  SweepLayout layout;
  layout.name = fs::path(sweep.path).stem().string();
  layout.out_dir = sweep.out_dir;
  for (const auto& v : sweep.variants) layout.variants.push_back(v.name);
  layout.seeds = sweep.seeds;
  layout.budget_flops = sweep.flops;
  std::map<std::string, std::string> resolved;
  layout.metric = validate(sweep, resolved);
  // A dry run reports the changed runs (with --retrain-changed too: it deletes nothing).
  check_existing_runs(sweep, resolved, request.retrain_changed && !request.dry_run);
  layout.higher_is_better = higher_is_better(layout.metric);
  if (request.dry_run) {
    CompareSummary plan;
    plan.out_dir = sweep.out_dir;
    for (const auto& run : sweep.runs()) {
      const bool done = fs::exists(run.run_dir + "/" + kFinishedMarker), started = fs::exists(run.run_dir + "/last.pt");
      plan.planned.push_back(fmt::format("{} seed {} -> {} ({})", run.variant, run.seed, run.run_dir,
                                         done ? "finished" : started ? "to resume" : "to train"));
    }
    return plan;
  }
  fs::create_directories(sweep.out_dir);
  write_file_atomic(sweep.out_dir + "/sweep.json", layout.to_json().dump(1) + "\n");
  write_file_atomic(sweep.out_dir + "/sweep.yaml", read_file(sweep.path));

  std::vector<std::string> budget;  // what a resumed run must still be told
  if (sweep.steps > 0) budget.push_back(fmt::format("trainer.max_iters={}", sweep.steps));
  if (sweep.minutes > 0) budget.push_back(fmt::format("trainer.max_minutes={}", sweep.minutes));
  if (sweep.flops > 0) budget.push_back(fmt::format("trainer.max_flops={}", sweep.flops));

  CompareSummary summary;
  summary.out_dir = sweep.out_dir;
  const auto runs = sweep.runs();
  double trained_seconds = 0;
  int64_t trained_runs = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const SweepRun& run = runs[i];
    const std::string marker = run.run_dir + "/" + kFinishedMarker;
    if (fs::exists(marker)) {
      fmt::print("[compare {}/{}] {} seed {}: finished earlier, skipped\n", i + 1, runs.size(), run.variant, run.seed);
      ++summary.skipped;
      continue;
    }
    const size_t left = static_cast<size_t>(std::count_if(runs.begin() + static_cast<long>(i), runs.end(), [](const SweepRun& r) {
      return !fs::exists(r.run_dir + "/" + kFinishedMarker);
    }));
    const std::string eta = trained_runs > 0 ? ", sweep ETA " + format_duration(trained_seconds / static_cast<double>(trained_runs) *
                                                                                static_cast<double>(left))
                                             : "";
    const bool resume = fs::exists(run.run_dir + "/last.pt");
    fmt::print("[compare {}/{}] {} seed {} -> {}{}{}\n", i + 1, runs.size(), run.variant, run.seed, run.run_dir,
               resume ? " (resuming)" : "", eta);
    std::fflush(stdout);
    if (!resume && fs::exists(run.run_dir)) clear_run(run.run_dir);  // started, but nothing saved yet
    const auto start = std::chrono::steady_clock::now();
    const TrainSummary t = resume ? train({"", run.run_dir, budget}) : train({sweep.base, "", run.overrides});
    trained_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++trained_runs;
    if (t.signal != 0) {
      summary.signal = t.signal;
      return summary;
    }
    ++(resume ? summary.resumed : summary.trained);
    write_file_atomic(marker, nlohmann::json{{"variant", run.variant}, {"seed", run.seed}, {"step", t.step}}.dump() + "\n");
  }
  return report(layout, summary);
}

}  // namespace attnlab
