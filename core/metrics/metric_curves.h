// Metrics as curves over one variable (e.g. error against the number of in-context examples):
// `attnlab eval` prints them as a table, writes them to its JSON and draws them. LibTorch-free.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnlab {

struct MetricCurves {
  std::string title, x_label, y_label;
  std::string x_name = "x";  // the table's first column
  std::vector<double> x;
  std::vector<std::pair<std::string, std::vector<double>>> lines;  // name -> a value at each x
  double y_max = 0;  // the plot's y range is [0, y_max]; 0: fit all the values (the table keeps them all)
  bool empty() const { return x.empty(); }

  std::string table() const;         // a column per line, a row per x
  nlohmann::json to_json() const;    // {"title", "x_label", "y_label", "x": [...], "lines": {name: [...]}}
  // Writes STEM.dat and STEM.gp (gnuplot, redraws by hand) and draws STEM.png with gnuplot;
  // returns the PNG's path.
  std::string draw(const std::string& stem) const;
};

}  // namespace attnlab
