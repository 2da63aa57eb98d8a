#include "core/config/experiment.h"

#include <stdexcept>
#include <string>

#include "core/util/files.h"

namespace attnlab {

ExperimentOptions ExperimentOptions::read(ConfigSection s) {
  ExperimentOptions o;
  ATTNLAB_READ(s, o, name);
  // The run directory is out_dir/name: the name must not lead out of out_dir (.., a/b).
  if (!is_safe_name(o.name)) s.fail("name", std::string(kSafeNameRule) + ", got '" + o.name + "'");
  ATTNLAB_READ(s, o, seed, Range::closed(0, kMaxSeed));
  ATTNLAB_READ(s, o, out_dir);
  if (o.out_dir.empty()) s.fail("out_dir", "must name a directory (an empty out_dir would put runs at the filesystem root)");
  o.device = s.choice("device", o.device, {"auto", "cpu", "cuda"});
  // threads: auto, or the number of CPU cores to use (0 also means auto).
  const std::string threads = s.get("threads", std::string("auto"));
  const Range thread_range = Range::closed(0, 1024, "or auto; 0 = auto");
  if (threads == "auto") {
    o.threads = 0;
    s.check("threads", 0, thread_range, true);  // declared either way
  } else {
    size_t used = 0;
    try {
      o.threads = std::stoll(threads, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != threads.size()) s.fail("threads", "must be auto or a number of cores >= 1, got '" + threads + "'");
    // More threads than cores only wait for each other (configure_threads says so); more than
    // 1024 is a typo.
    s.check("threads", static_cast<double>(o.threads), thread_range, true);
  }
  o.precision = s.choice("precision", o.precision, {"auto", "fp32", "bf16"});
  return o;
}

}  // namespace attnlab
