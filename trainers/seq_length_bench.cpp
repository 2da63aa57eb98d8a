// `attnlab bench CONFIG --seq-lengths ...`: what a training step's forward and backward pass
// cost against the sequence length n, for the config and named variants of it. The recipe,
// top to bottom: for each variant, for each n (rising): one child process measures the point
// (its own peak memory, untouched by the others) -> stop the variant at its first point that
// is refused for memory, fails, or takes longer than max_seconds -> fitted log-log slopes ->
// table, JSON and a gnuplot picture.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>

#include "core/config/loader.h"
#include "core/util/device.h"
#include "core/util/files.h"
#include "core/util/flop_counter.h"
#include "core/util/gnuplot.h"
#include "core/util/precision.h"
#include "core/util/threads.h"
#include "trainers/bench_support.h"
#include "trainers/experiment.h"
#include "trainers/recipes.h"
#include "trainers/trainer.h"

extern char** environ;

namespace attnlab {
namespace fs = std::filesystem;

namespace {

struct Variant {
  std::string name;
  std::vector<std::string> overrides;
};

// "NAME key=value ..." -> a variant; the bare config is "config".
std::vector<Variant> parse_variants(const std::vector<std::string>& specs) {
  if (specs.empty()) return {{"config", {}}};
  std::vector<Variant> out;
  for (const auto& spec : specs) {
    std::istringstream words(spec);
    Variant v;
    words >> v.name;
    for (std::string w; words >> w;) {
      if (w.find('=') == std::string::npos)
        throw std::invalid_argument("--variant '" + spec + "': '" + w + "' is not an override of the form section.key=value");
      v.overrides.push_back(w);
    }
    if (v.name.empty() || v.name.find('=') != std::string::npos)
      throw std::invalid_argument("--variant '" + spec + "' needs a name first: --variant \"NAME section.key=value ...\"");
    // The name becomes file names and a gnuplot title.
    for (char c : v.name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("._-+@").find(c) == std::string::npos)
        throw std::invalid_argument("--variant name '" + v.name + "': use letters, digits and . _ - + @ only");
    for (const auto& other : out)
      if (other.name == v.name) throw std::invalid_argument("two variants are named '" + v.name + "'");
    out.push_back(v);
  }
  return out;
}

// Runs `argv` (this program's own executable) with stdout and stderr in `log`; its exit code.
int run_self(std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), fs::read_symlink("/proc/self/exe").string());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(std::string("waiting for a bench point: ") + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The last line of a child's log that says what went wrong.
std::string failure_line(const std::string& log) {
  std::string last;
  std::istringstream in(read_file(log));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("error", 0) == 0 || line.find("rror:") != std::string::npos) last = line;
  return last.empty() ? "failed (see " + log + ")" : last;
}

// Least-squares slope of log(y) against log(x) over the upper half of the points (the
// asymptotic regime: at small n the O(n) parts hide the O(n^2) ones). NaN with < 2 points.
double log_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t from = x.size() / 2 > 0 && x.size() - x.size() / 2 >= 2 ? x.size() / 2 : 0;
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = from; i < x.size(); ++i) {
    if (!(x[i] > 0 && y[i] > 0)) continue;
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    n += 1, sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
  }
  const double d = n * sxx - sx * sx;
  return n >= 2 && d > 0 ? (n * sxy - sx * sy) / d : std::nan("");
}

}  // namespace

void bench_seq_length_point(const std::string& config_path, const std::vector<std::string>& overrides, int64_t warmup,
                            int64_t steps, const std::string& out) {
  Experiment exp = Experiment::read(load_config(config_path, overrides));
  auto& e = exp.experiment;
  const torch::Device device = resolve_device(e.device);
  e.precision = resolve_precision(e.precision, device);
  configure_threads(e.threads, e.precision);
  seed_everything(static_cast<uint64_t>(e.seed));
  ScratchDir scratch;
  Assembled a = assemble(exp, scratch.path, /*saved_tokenizer=*/false, device, /*training=*/true);
  Trainer trainer({a.model.module, a.model.task, a.data.source, exp.trainer, exp.optimizer, exp.schedule, device,
                   static_cast<uint64_t>(e.seed), scratch.path, exp.resolved_yaml, e.precision});
  const double rss_before = current_rss_mib();
  for (int64_t i = 0; i < warmup; ++i) trainer.step(true);
  std::vector<double> forward, backward;
  int64_t tokens = 0;
  for (int64_t i = 0; i < steps; ++i) {
    const StepTiming t = trainer.step(true);
    forward.push_back(t.forward_ms), backward.push_back(t.backward_ms), tokens = t.tokens;
  }
  double flops = 0;
  {
    FlopCounter counter;
    trainer.step(true);
    flops = counter.flops();
  }
  const double forward_ms = Spread(forward).median, backward_ms = Spread(backward).median;
  const double peak = peak_rss_mib();
  nlohmann::json j = {{"forward_ms", forward_ms},
                      {"backward_ms", backward_ms},
                      {"step_ms", forward_ms + backward_ms},
                      {"tokens_per_step", tokens},
                      {"flops_per_step", flops},
                      {"rss_before_mib", rss_before},
                      {"peak_rss_mib", peak},
                      {"step_memory_mib", std::max(0.0, peak - rss_before)},
                      {"device", device.str()},
                      {"precision", e.precision}};
  write_file_atomic(out, j.dump(2) + "\n");
}

BenchReport bench_seq_lengths(const SeqLengthBenchRequest& r) {
  if (r.lengths.empty()) throw std::invalid_argument("--seq-lengths needs at least one length");
  for (size_t i = 0; i < r.lengths.size(); ++i)
    if (r.lengths[i] < 1 || (i > 0 && r.lengths[i] <= r.lengths[i - 1]))
      throw std::invalid_argument("--seq-lengths must be rising lengths >= 1, e.g. 256,512,1024");
  const std::vector<Variant> variants = parse_variants(r.variants);
  // Every variant is read once here, so that a typo fails before any point is measured.
  std::string length_key, out_dir = r.out_dir;
  for (const auto& v : variants) {
    std::vector<std::string> o = r.overrides;
    o.insert(o.end(), v.overrides.begin(), v.overrides.end());
    const Experiment exp = Experiment::read(load_config(r.config_path, o));
    if (exp.model.length_key.empty())
      throw std::invalid_argument("bench --seq-lengths: model.type " + exp.model.type +
                                  " has no sequence-length key to vary (gpt has model.block_size)");
    length_key = exp.model.length_key;
    if (out_dir.empty()) out_dir = exp.experiment.out_dir + "/bench/" + exp.experiment.name + "_seq_lengths";
  }
  fs::create_directories(out_dir);

  std::string text = fmt::format("bench {} over sequence lengths (model.{}), forward + backward of one training step\n",
                                 r.config_path, length_key);
  text += fmt::format("{:<14} {:>7} {:>12} {:>12} {:>13} {:>11}\n", "variant", "n", "fwd+bwd ms", "step MiB",
                      "GFLOP/step", "peak MiB");
  nlohmann::json report = {{"config", r.config_path}, {"overrides", r.overrides}, {"length_key", length_key}};
  std::string plot_time, plot_memory;
  for (const auto& v : variants) {
    std::vector<double> ns, times, memories, flops;
    nlohmann::json points = nlohmann::json::array();
    std::string stopped;
    for (int64_t n : r.lengths) {
      std::vector<std::string> args = {"bench", r.config_path};
      args.insert(args.end(), r.overrides.begin(), r.overrides.end());
      args.insert(args.end(), v.overrides.begin(), v.overrides.end());
      args.push_back("model." + length_key + "=" + std::to_string(n));
      const std::string point = fmt::format("{}/{}_{}.json", out_dir, v.name, n), log = point + ".log";
      for (const auto& a : std::vector<std::string>{"--point", "--warmup", std::to_string(r.warmup), "--steps",
                                                    std::to_string(r.steps), "--out", point})
        args.push_back(a);
      if (const int code = run_self(args, log); code != 0) {
        stopped = fmt::format("n = {}: {}", n, code > 128 ? fmt::format("killed by signal {} (out of memory?); see {}", code - 128, log)
                                                        : failure_line(log));
        break;
      }
      fs::remove(log);
      auto j = nlohmann::json::parse(read_file(point));
      j["n"] = n;
      points.push_back(j);
      ns.push_back(static_cast<double>(n)), times.push_back(j["step_ms"].get<double>());
      memories.push_back(j["step_memory_mib"].get<double>()), flops.push_back(j["flops_per_step"].get<double>());
      text += fmt::format("{:<14} {:>7} {:>12.1f} {:>12.1f} {:>13.3f} {:>11.0f}\n", v.name, n, times.back(),
                          memories.back(), flops.back() / 1e9, j["peak_rss_mib"].get<double>());
      if (times.back() / 1000.0 > r.max_seconds) {
        stopped = fmt::format("n = {}: a step took {:.1f} s, over --max-seconds {}", n, times.back() / 1000.0, r.max_seconds);
        break;
      }
    }
    const double time_slope = log_log_slope(ns, times), memory_slope = log_log_slope(ns, memories);
    const double flop_slope = log_log_slope(ns, flops);
    text += fmt::format("{:<14} log-log slopes (upper half of n): time {:.2f}, memory {:.2f}, FLOPs {:.2f}{}\n", v.name,
                        time_slope, memory_slope, flop_slope, stopped.empty() ? "" : "; stopped at " + stopped);
    report["variants"][v.name] = {{"overrides", v.overrides},
                                  {"points", points},
                                  {"slopes", {{"time", time_slope}, {"memory", memory_slope}, {"flops", flop_slope}}},
                                  {"stopped", stopped}};
    std::string dat = "# n fwd+bwd_ms step_memory_mib flops_per_step\n";
    for (size_t i = 0; i < ns.size(); ++i) dat += fmt::format("{} {} {} {}\n", ns[i], times[i], memories[i], flops[i]);
    write_file_atomic(out_dir + "/" + v.name + ".dat", dat);
    if (ns.empty()) continue;
    auto add_line = [&](std::string& plot, int column, double slope) {
      plot += fmt::format("{}'{}.dat' using 1:{} with linespoints title '{} (slope {:.2f})'", plot.empty() ? "" : ", ",
                          v.name, column, v.name, slope);
    };
    add_line(plot_time, 2, time_slope), add_line(plot_memory, 3, memory_slope);
  }
  const std::string json_path = out_dir + "/seq_lengths.json";
  write_file_atomic(json_path, report.dump(2) + "\n");
  if (!plot_time.empty()) {
    const std::string gp = fmt::format(
        "# attnlab bench --seq-lengths: gnuplot seq_lengths.gp redraws it\n"
        "set terminal pngcairo size 1200,500 noenhanced\nset output 'seq_lengths.png'\n"
        "set multiplot layout 1,2 title '{}: cost against sequence length (log-log)'\n"
        "set logscale xy\nset key top left\nset grid\nset xlabel 'sequence length n'\n"
        "set ylabel 'forward + backward (ms)'\nplot {}\n"
        "set ylabel 'step memory (MiB, peak RSS over the set-up)'\nplot {}\nunset multiplot\n",
        r.config_path, plot_time, plot_memory);
    write_file_atomic(out_dir + "/seq_lengths.gp", gp);
    run_gnuplot(out_dir, "seq_lengths.gp", "the tables are written in " + out_dir);
    text += "plot: " + out_dir + "/seq_lengths.png\n";
  }
  return {json_path, text};
}

}  // namespace attnlab
