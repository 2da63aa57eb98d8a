#include "core/config/experiment.h"

namespace attnlab {

ExperimentOptions ExperimentOptions::read(ConfigSection s) {
  ExperimentOptions o;
  ATTNLAB_READ(s, o, name);
  if (o.name.empty() || o.name.find('/') != std::string::npos) s.fail("name", "must be a non-empty name without '/'");
  ATTNLAB_READ(s, o, seed);
  ATTNLAB_READ(s, o, out_dir);
  o.device = s.choice("device", o.device, {"auto", "cpu", "cuda"});
  ATTNLAB_READ(s, o, threads);
  if (o.threads < 0) s.fail("threads", "must be >= 0 (0 = LibTorch's default)");
  return o;
}

}  // namespace attnlab
