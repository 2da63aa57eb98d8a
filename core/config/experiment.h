// The `experiment:` section: what a run is called, where it goes, what it runs on.
#pragma once

#include <cstdint>
#include <string>

#include "core/config/section.h"

namespace attnlab {

struct ExperimentOptions {
  std::string name = "run";       // experiment.name: run directory is out_dir/name
  int64_t seed = 1337;            // experiment.seed: fixes init, data order and sampling
  std::string out_dir = "runs";   // experiment.out_dir
  std::string device = "auto";    // experiment.device: auto | cpu | cuda
  int64_t threads = 0;            // experiment.threads: auto (0) | N CPU cores (see configure_threads)
  std::string precision = "fp32";  // experiment.precision: auto | fp32 | bf16 (core/util/precision.h)

  static ExperimentOptions read(ConfigSection s);
  std::string run_dir() const { return out_dir + "/" + name; }
};

}  // namespace attnlab
