#include "core/metrics/metric_curves.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/util/files.h"
#include "core/util/gnuplot.h"

namespace attnlab {

std::string MetricCurves::table() const {
  std::string out = fmt::format("{:>6}", x_name);
  for (const auto& [name, values] : lines) out += fmt::format("  {:>20}", name);
  out += "\n";
  for (size_t i = 0; i < x.size(); ++i) {
    out += fmt::format("{:>6g}", x[i]);
    for (const auto& [name, values] : lines) out += fmt::format("  {:>20.4f}", values[i]);
    out += "\n";
  }
  return out;
}

nlohmann::json MetricCurves::to_json() const {
  nlohmann::json j = {{"title", title}, {"x_label", x_label}, {"y_label", y_label}, {"x", x}};
  for (const auto& [name, values] : lines) j["lines"][name] = values;
  return j;
}

std::string MetricCurves::draw(const std::string& stem) const {
  const std::filesystem::path path(stem);
  const std::string dir = path.parent_path().empty() ? "." : path.parent_path().string();
  const std::string name = path.filename().string();
  std::string dat = "# x";
  for (const auto& [line, values] : lines) dat += " \"" + line + "\"";
  dat += "\n";
  for (size_t i = 0; i < x.size(); ++i) {
    dat += fmt::format("{:g}", x[i]);
    for (const auto& [line, values] : lines) dat += fmt::format(" {:.6g}", values[i]);
    dat += "\n";
  }
  write_file_atomic(stem + ".dat", dat);
  std::string plot;
  for (size_t l = 0; l < lines.size(); ++l)
    plot += fmt::format("{}'{}.dat' using 1:{} with linespoints pt 7 ps 0.6 lw 2 title '{}'", l ? ", " : "", name,
                        l + 2, lines[l].first);
  write_file_atomic(stem + ".gp",
                    fmt::format("# gnuplot {0}.gp (in this folder) redraws {0}.png from {0}.dat.\n"
                                "set terminal pngcairo size 960,600 noenhanced\nset output '{0}.png'\n"
                                "set title '{1}'\nset xlabel '{2}'\nset ylabel '{3}'\nset grid\nset key top right\n"
                                "set yrange [0:{4}]\nplot {5}\n",
                                name, title, x_label, y_label, y_max > 0 ? fmt::format("{:g}", y_max) : "*",
                                plot));
  run_gnuplot(dir, name + ".gp", "the table is written in " + stem + ".dat");
  return stem + ".png";
}

}  // namespace attnlab
