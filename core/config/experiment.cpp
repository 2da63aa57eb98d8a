#include "core/config/experiment.h"

#include <stdexcept>
#include <string>

namespace attnlab {

ExperimentOptions ExperimentOptions::read(ConfigSection s) {
  ExperimentOptions o;
  ATTNLAB_READ(s, o, name);
  if (o.name.empty() || o.name.find('/') != std::string::npos) s.fail("name", "must be a non-empty name without '/'");
  ATTNLAB_READ(s, o, seed);
  ATTNLAB_READ(s, o, out_dir);
  o.device = s.choice("device", o.device, {"auto", "cpu", "cuda"});
  // threads: auto, or the number of CPU cores to use (0 also means auto).
  const std::string threads = s.get("threads", std::string("auto"));
  if (threads == "auto") {
    o.threads = 0;
  } else {
    size_t used = 0;
    try {
      o.threads = std::stoll(threads, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != threads.size() || o.threads < 0)
      s.fail("threads", "must be auto or a number of cores >= 1, got '" + threads + "'");
  }
  o.precision = s.choice("precision", o.precision, {"auto", "fp32", "bf16"});
  return o;
}

}  // namespace attnlab
