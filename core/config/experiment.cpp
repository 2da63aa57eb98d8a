#include "core/config/experiment.h"

namespace attnlab {

ExperimentOptions ExperimentOptions::read(ConfigSection s) {
  ExperimentOptions o;
  o.name = s.get("name", o.name);
  if (o.name.empty() || o.name.find('/') != std::string::npos) s.fail("name", "must be a non-empty name without '/'");
  o.seed = s.get("seed", o.seed);
  o.out_dir = s.get("out_dir", o.out_dir);
  o.device = s.choice("device", o.device, {"auto", "cpu", "cuda"});
  o.threads = s.get("threads", o.threads);
  if (o.threads < 0) s.fail("threads", "must be >= 0 (0 = LibTorch's default)");
  return o;
}

}  // namespace attnlab
