// A sweep file (configs/sweeps/*.yaml): a base experiment, the variants to compare (named
// sets of overrides and/or a grid of values), the seeds and a budget, read as strictly as an
// experiment file (file, line, did-you-mean). `attnlab compare` runs what it expands to.
// LibTorch-free.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config/node.h"

namespace attnlab {

// The top-level keys of a sweep file (base, out_dir, seeds, budget, overrides, variants,
// grid, metric).
const std::vector<std::string>& sweep_file_keys();

struct SweepVariant {
  std::string name;                    // "baseline", "rope", or a grid point "n_layer=4+patch_size=7"
  std::vector<std::string> overrides;  // "section.key=value", the variant's own
  SourceLocation loc;                  // where the file defines it
};

struct SweepRun {
  std::string variant;
  int64_t seed = 0;
  std::string run_dir;                 // OUT/<variant>/seed<k>
  std::vector<std::string> overrides;  // everything the run is started with
};

struct Sweep {
  std::string path;     // the sweep file
  std::string base;     // the base experiment file (relative paths: to the sweep file)
  std::string out_dir;  // default: runs/sweeps/<sweep file stem>
  std::vector<int64_t> seeds = {1337};
  int64_t steps = 0;       // budget: trainer.max_iters of every run; 0 = the base's
  double minutes = 0;      // budget: trainer.max_minutes of every run; 0 = none
  double flops = 0;        // budget: trainer.max_flops of every run (equal compute); 0 = none
  std::vector<std::string> overrides;  // for every run
  std::vector<SweepVariant> variants;  // `variants` x `grid` (a single "base" when neither is given)
  std::string metric;                  // what the table compares; "" = the base's trainer.best_metric

  static Sweep read(const std::string& path);
  // Every variant with every seed, variant by variant, in file order.
  std::vector<SweepRun> runs() const;
};

// Every value of a resolved config (YAML text) by its dotted key ("model.n_embd" -> "64").
std::map<std::string, std::string> flatten_config(const std::string& yaml);

// What differs between two resolved configs (YAML text), one "section.key: old -> new" per key
// ("(unset)" for a key only one of them has), in sorted order, leaving out the keys in
// `ignore`; empty when they agree.
std::vector<std::string> config_differences(const std::string& old_yaml, const std::string& new_yaml,
                                            const std::set<std::string>& ignore = {});

}  // namespace attnlab
