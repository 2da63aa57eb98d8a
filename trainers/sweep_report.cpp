#include "trainers/sweep_report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <tuple>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/util/files.h"
#include "core/util/gnuplot.h"
#include "core/util/json_file.h"

namespace attnlab {

namespace {

namespace fs = std::filesystem;

struct Point {
  int64_t step;
  double elapsed_s, value;
};

struct Run {
  std::vector<Point> evals;
  double final_value = 0, best_value = 0, wall_s = 0, tokens_per_s = 0;
  double peak_rss_mib = 0;  // the process's peak host memory (metrics.jsonl's peak_rss_mib; 0 in older runs)
};

struct Stat {
  double mean = 0, std = 0;  // sample std (n - 1); 0 for one run
};

Stat stat(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return {std::nan(""), std::nan("")};
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return s;
}

struct CurvePoint {
  int64_t step;
  double elapsed_s;
  Stat value;
};

struct Variant {
  std::string name;
  std::vector<Run> runs;
  Stat final_value, best_value, wall_s, tokens_per_s, peak_rss_mib;
  std::vector<CurvePoint> curve;  // steps every run evaluated at
  double at_equal_time = std::nan("");
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Run read_run(const std::string& dir, const SweepLayout& layout) {
  Run r;
  std::vector<double> throughput;
  for_each_json_line(dir + "/metrics.jsonl", [&](const nlohmann::json& j, int64_t) {
    const double elapsed = j.value("elapsed_s", 0.0);
    r.wall_s = std::max(r.wall_s, elapsed);
    if (j.contains("tokens_per_s")) throughput.push_back(j.at("tokens_per_s").get<double>());
    r.peak_rss_mib = std::max(r.peak_rss_mib, j.value("peak_rss_mib", 0.0));
    if (j.contains(layout.metric))
      r.evals.push_back({j.at("step").get<int64_t>(), elapsed, j.at(layout.metric).get<double>()});
  });
  if (r.evals.empty()) throw std::runtime_error(fmt::format("{}/metrics.jsonl has no {}", dir, layout.metric));
  r.final_value = r.evals.back().value;
  r.best_value = r.evals.front().value;
  for (const auto& p : r.evals)
    r.best_value = layout.higher_is_better ? std::max(r.best_value, p.value) : std::min(r.best_value, p.value);
  r.tokens_per_s = median(throughput);
  return r;
}

Variant summarise(const std::string& name, std::vector<Run> runs) {
  Variant v{name, std::move(runs)};
  std::vector<double> finals, bests, walls, rates, peaks;
  for (const auto& r : v.runs)
    finals.push_back(r.final_value), bests.push_back(r.best_value), walls.push_back(r.wall_s),
        rates.push_back(r.tokens_per_s), peaks.push_back(r.peak_rss_mib);
  v.final_value = stat(finals), v.best_value = stat(bests), v.wall_s = stat(walls), v.tokens_per_s = stat(rates);
  v.peak_rss_mib = stat(peaks);
  if (v.runs.empty()) return v;
  for (const auto& p : v.runs.front().evals) {
    std::vector<double> values, times;
    for (const auto& r : v.runs)
      for (const auto& q : r.evals)
        if (q.step == p.step) values.push_back(q.value), times.push_back(q.elapsed_s);
    if (values.size() == v.runs.size()) v.curve.push_back({p.step, stat(times).mean, stat(values)});
  }
  return v;
}

// The mean curve's value at wall time t (linear between evaluations).
double value_at_time(const Variant& v, double t) {
  for (size_t i = 1; i < v.curve.size(); ++i) {
    const auto &a = v.curve[i - 1], &b = v.curve[i];
    if (t <= b.elapsed_s) {
      const double span = b.elapsed_s - a.elapsed_s;
      const double w = span > 0 ? (t - a.elapsed_s) / span : 1.0;
      return a.value.mean + std::clamp(w, 0.0, 1.0) * (b.value.mean - a.value.mean);
    }
  }
  return v.curve.empty() ? std::nan("") : v.curve.back().value.mean;
}

std::string pm(const Stat& s, int digits = 4) {
  if (std::isnan(s.mean)) return "–";
  return fmt::format("{:.{}f} ± {:.{}f}", s.mean, digits, s.std, digits);
}

std::string flops(const VariantCost& c) {
  return c.train_flops > 0 ? fmt::format("{:.3f}", c.train_flops / 1e6) : "–";
}

// "X is better than Y by d (k seed stds)": the verdict lines of the table.
std::string verdict(const std::vector<const Variant*>& ranked, const std::string& what, bool by_final,
                    const std::string& metric) {
  if (ranked.size() < 2) return "";
  const Variant& a = *ranked[0];
  const Variant& b = *ranked[1];
  const double va = by_final ? a.final_value.mean : a.at_equal_time, vb = by_final ? b.final_value.mean : b.at_equal_time;
  const double spread = std::max(a.final_value.std, b.final_value.std);
  const std::string noise = spread > 0 ? fmt::format(" = {:.1f}× the larger seed std ({:.4f})", std::abs(va - vb) / spread, spread)
                                       : " (one seed: no spread measured)";
  return fmt::format("- {}: **{}** ({} {:.4f}); the runner-up {} ({:.4f}) is behind by {:.4f}{}.\n", what, a.name,
                     metric, va, b.name, vb, std::abs(va - vb), noise);
}

}  // namespace

std::string SweepLayout::run_dir(const std::string& variant, int64_t seed) const {
  return (fs::path(out_dir) / variant / fmt::format("seed{}", seed)).string();
}

nlohmann::json SweepLayout::to_json() const {
  return {{"name", name}, {"out_dir", out_dir}, {"variants", variants}, {"seeds", seeds},
          {"metric", metric}, {"higher_is_better", higher_is_better}, {"budget_flops", budget_flops}};
}

SweepLayout SweepLayout::from_json(const nlohmann::json& j) {
  SweepLayout l;
  l.name = j.at("name"), l.out_dir = j.at("out_dir"), l.metric = j.at("metric");
  l.variants = j.at("variants").get<std::vector<std::string>>();
  l.seeds = j.at("seeds").get<std::vector<int64_t>>();
  l.higher_is_better = j.at("higher_is_better");
  l.budget_flops = j.value("budget_flops", 0.0);  // older sweeps: none
  return l;
}

SweepReport write_sweep_report(const SweepLayout& layout, const std::map<std::string, VariantCost>& costs) {
  std::vector<Variant> variants;
  for (const auto& name : layout.variants) {
    std::vector<Run> runs;
    for (int64_t seed : layout.seeds) {
      const std::string dir = layout.run_dir(name, seed);
      if (fs::exists(dir + "/" + kFinishedMarker)) runs.push_back(read_run(dir, layout));
    }
    variants.push_back(summarise(name, std::move(runs)));
  }
  // Equal wall time: the shortest variant's mean training time.
  double equal_time = std::numeric_limits<double>::infinity();
  for (const auto& v : variants)
    if (!v.curve.empty()) equal_time = std::min(equal_time, v.curve.back().elapsed_s);
  for (auto& v : variants) v.at_equal_time = value_at_time(v, equal_time);

  auto better = [&](double a, double b) { return layout.higher_is_better ? a > b : a < b; };
  std::vector<const Variant*> by_steps, by_time;
  for (const auto& v : variants)
    if (!v.runs.empty()) by_steps.push_back(&v), by_time.push_back(&v);
  std::sort(by_steps.begin(), by_steps.end(),
            [&](auto* a, auto* b) { return better(a->final_value.mean, b->final_value.mean); });
  std::sort(by_time.begin(), by_time.end(), [&](auto* a, auto* b) { return better(a->at_equal_time, b->at_equal_time); });

  const std::string& m = layout.metric;
  const double minutes = equal_time / 60.0;
  std::string md = fmt::format("# Sweep {}: {} over seeds {}\n\n", layout.name, m, fmt::join(layout.seeds, ", "));
  md += fmt::format("| variant | parameters | train MFLOPs per unit | tokens/s | peak MiB | final {} | best {} | {} at {:.1f} "
                    "min | wall min | runs |\n|---|---|---|---|---|---|---|---|---|---|\n",
                    m, m, m, minutes);
  std::string csv = "variant,parameters,train_flops_per_unit,unit,tokens_per_s,peak_rss_mib,final_mean,final_std,best_mean,best_std,"
                    "at_equal_time,equal_time_s,wall_s_mean,runs\n";
  nlohmann::json json = {{"sweep", layout.to_json()}, {"equal_time_s", equal_time}, {"variants", nlohmann::json::array()}};
  for (const auto& v : variants) {
    const VariantCost c = costs.count(v.name) ? costs.at(v.name) : VariantCost{};
    md += fmt::format("| {} | {} | {} / {} | {:.0f} | {:.0f} | {} | {} | {:.4f} | {:.1f} | {}/{} |\n", v.name,
                      c.parameters, flops(c), c.unit, v.tokens_per_s.mean, v.peak_rss_mib.mean, pm(v.final_value), pm(v.best_value), v.at_equal_time,
                      v.wall_s.mean / 60.0, v.runs.size(), layout.seeds.size());
    csv += fmt::format("{},{},{},{},{:.1f},{:.1f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.1f},{:.1f},{}\n", v.name,
                       c.parameters, c.train_flops, c.unit, v.tokens_per_s.mean, v.peak_rss_mib.mean, v.final_value.mean, v.final_value.std,
                       v.best_value.mean, v.best_value.std, v.at_equal_time, equal_time, v.wall_s.mean, v.runs.size());
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& p : v.curve) curve.push_back({{"step", p.step}, {"elapsed_s", p.elapsed_s}, {"mean", p.value.mean}, {"std", p.value.std}});
    json["variants"].push_back({{"name", v.name}, {"parameters", c.parameters}, {"train_flops_per_unit", c.train_flops},
                                {"unit", c.unit}, {"tokens_per_s", v.tokens_per_s.mean},
                                {"peak_rss_mib", v.peak_rss_mib.mean},
                                {"final", {{"mean", v.final_value.mean}, {"std", v.final_value.std}}},
                                {"best", {{"mean", v.best_value.mean}, {"std", v.best_value.std}}},
                                {"at_equal_time", v.at_equal_time}, {"wall_s", v.wall_s.mean},
                                {"runs", v.runs.size()}, {"curve", curve}});
  }
  // A FLOP budget stops every run at the same compute: the final values compare at equal compute.
  const std::string at_end = layout.budget_flops > 0
                                 ? fmt::format("At equal compute ({:.3g} training FLOPs a run; final {})", layout.budget_flops, m)
                                 : "At equal steps (final " + m + ")";
  md += "\n" + verdict(by_steps, at_end, true, m) +
        verdict(by_time, fmt::format("At equal wall time ({:.1f} min, the shortest variant's)", minutes), false, m);
  md += fmt::format("\n{}: {} is better. Mean ± sample std over the finished seeds; train MFLOPs are 3× the forward's "
                    "matrix products per {}; peak MiB is each run's peak host memory (metrics.jsonl's peak_rss_mib), averaged; wall "
                    "time is the training time in metrics.jsonl (elapsed_s).\n",
                    m, layout.higher_is_better ? "higher" : "lower", costs.empty() ? "unit" : costs.begin()->second.unit);

  SweepReport report;
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (fs::path(layout.out_dir) / name).string();
    write_file_atomic(path, text);
    report.written.push_back(path);
  };
  write("results.md", md);
  write("results.csv", csv);
  write("results.json", json.dump(1) + "\n");

  // The curves: one data block per variant (step, minutes, mean, mean - std, mean + std).
  std::string dat, plot_step, plot_time;
  int block = 0;
  for (const auto& v : variants) {
    if (v.curve.empty()) continue;
    dat += fmt::format("# {}\n", v.name);
    for (const auto& p : v.curve)
      if (p.step > 0)  // the untrained model's value would flatten every curve
      dat += fmt::format("{} {:.4f} {:.6f} {:.6f} {:.6f}\n", p.step, p.elapsed_s / 60.0, p.value.mean,
                         p.value.mean - p.value.std, p.value.mean + p.value.std);
    dat += "\n\n";
    for (auto* plot : {&plot_step, &plot_time}) {
      const char* x = plot == &plot_step ? "1" : "2";
      *plot += fmt::format("{}'curves.dat' index {} using {}:4:5 with filledcurves fs transparent solid 0.15 noborder "
                           "lc {} notitle, 'curves.dat' index {} using {}:3 with linespoints lw 2 pt 7 ps 0.4 lc {} "
                           "title '{}'",
                           block ? ", " : "", block, x, block + 1, block, x, block + 1, v.name);
    }
    ++block;
  }
  write("curves.dat", dat);
  std::string gp = fmt::format("# gnuplot curves.gp (in this folder) redraws the four pictures from curves.dat.\n"
                               "set termoption noenhanced\nset grid\nset key outside right top\nset ylabel '{}'\n", m);
  for (const auto& [stem, xlabel, plot] : {std::tuple{"curves_step", "step", plot_step},
                                           std::tuple{"curves_time", "training wall time (minutes)", plot_time}}) {
    gp += fmt::format("set title '{}: {} (mean over seeds, band ± 1 std)'\nset xlabel '{}'\n", layout.name, m, xlabel);
    gp += fmt::format("set terminal pngcairo size 960,540 noenhanced\nset output '{}.png'\nplot {}\n", stem, plot);
    gp += fmt::format("set terminal svg size 960,540 noenhanced\nset output '{}.svg'\nplot {}\n", stem, plot);
  }
  write("curves.gp", gp);

  std::string rows;
  for (const auto& v : variants) {
    const VariantCost c = costs.count(v.name) ? costs.at(v.name) : VariantCost{};
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{:.0f}</td><td>{}</td><td>{}</td>"
                        "<td>{:.4f}</td><td>{:.1f}</td><td>{}/{}</td></tr>\n",
                        v.name, c.parameters, flops(c), v.tokens_per_s.mean, v.peak_rss_mib.mean, pm(v.final_value), pm(v.best_value),
                        v.at_equal_time, v.wall_s.mean / 60.0, v.runs.size(), layout.seeds.size());
  }
  std::string verdicts = verdict(by_steps, layout.budget_flops > 0 ? "At equal compute" : "At equal steps", true, m) +
                         verdict(by_time, "At equal wall time", false, m);
  for (auto at = verdicts.find("**"); at != std::string::npos; at = verdicts.find("**")) verdicts.erase(at, 2);
  write("index.html",
        fmt::format("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Sweep {0}</title>\n<style>body{{font-family:"
                    "sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;"
                    "text-align:right}}td:first-child{{text-align:left}}</style></head><body>\n<h1>Sweep {0}: {1}</h1>\n"
                    "<table>\n<tr><th>variant</th><th>parameters</th><th>train MFLOPs / unit</th><th>tokens/s</th><th>peak MiB</th>"
                    "<th>final {1}</th><th>best {1}</th><th>{1} at {2:.1f} min</th><th>wall min</th><th>runs</th></tr>\n"
                    "{3}</table>\n<pre>{4}</pre>\n<h2>Against steps</h2><img src=\"curves_step.svg\" alt=\"{1} vs step\">\n"
                    "<h2>Against wall time</h2><img src=\"curves_time.svg\" alt=\"{1} vs wall time\">\n<p>Data: "
                    "<a href=\"results.csv\">results.csv</a>, <a href=\"results.json\">results.json</a>, <a href=\"curves.dat\">"
                    "curves.dat</a> + <a href=\"curves.gp\">curves.gp</a>.</p>\n</body></html>\n",
                    layout.name, m, minutes, rows, verdicts));

  if (block > 0) {
    run_gnuplot(layout.out_dir, "curves.gp", "the tables are written in " + layout.out_dir);
    for (const char* f : {"curves_step.png", "curves_step.svg", "curves_time.png", "curves_time.svg"})
      report.written.push_back((fs::path(layout.out_dir) / f).string());
  }
  report.markdown = md;
  return report;
}

}  // namespace attnlab
