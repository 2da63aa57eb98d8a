// The answer to a sweep: every variant's runs read back from their directories (metrics.jsonl)
// and summarised over seeds (mean ± sample std), as OUT/results.md, results.csv, results.json,
// validation curves against step and against wall time (gnuplot: curves.dat and curves.gp
// kept beside curves_step.png/.svg and curves_time.png/.svg), and OUT/index.html showing
// them together. The same files come out whether the runs were just trained or not.
// LibTorch-free.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnlab {

// What a variant costs, measured on its model (the same for every seed).
struct VariantCost {
  int64_t parameters = 0;
  double train_flops = 0;      // per unit: 3 x the forward's matrix-product FLOPs
  std::string unit = "token";  // "token" or "image"
};

// The sweep as the report needs it (OUT/sweep.json holds it, so --report needs no other file).
struct SweepLayout {
  std::string name;                   // the sweep file's stem
  std::string out_dir;
  std::vector<std::string> variants;  // in file order
  std::vector<int64_t> seeds;
  std::string metric;                 // e.g. "val_loss"
  bool higher_is_better = false;
  double budget_flops = 0;            // `budget: {flops}`: the final values are at equal compute
  std::string run_dir(const std::string& variant, int64_t seed) const;
  nlohmann::json to_json() const;
  static SweepLayout from_json(const nlohmann::json& j);
};

// A finished run leaves this file (its wall time and step); runs without it are left out.
inline const char* kFinishedMarker = "sweep_run.json";

struct SweepReport {
  std::string markdown;              // results.md: the table and the verdict
  std::vector<std::string> written;  // every file written
};

// Reads the runs, writes the report files into layout.out_dir. Throws when gnuplot fails
// (after the tables are written); a missing gnuplot says which package to install.
SweepReport write_sweep_report(const SweepLayout& layout, const std::map<std::string, VariantCost>& costs);

}  // namespace attnlab
