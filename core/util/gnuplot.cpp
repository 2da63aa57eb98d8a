#include "core/util/gnuplot.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "core/util/files.h"

namespace attnlab {

void run_gnuplot(const std::string& dir, const std::string& script, const std::string& what_is_kept) {
  const std::string cmd = fmt::format("cd '{}' && gnuplot '{}' > gnuplot.log 2>&1", dir, script);
  const int status = std::system(cmd.c_str());
  const auto log_path = std::filesystem::path(dir) / "gnuplot.log";
  if (status == 0) {
    std::error_code ignored;
    std::filesystem::remove(log_path, ignored);  // kept only when it explains a failure
    return;
  }
  const std::string log = read_file(log_path.string());
  if (log.find("not found") != std::string::npos || WEXITSTATUS(status) == 127)
    throw std::runtime_error("gnuplot is not installed: apt-get install gnuplot-nox (scripts/bootstrap.sh does); " +
                             what_is_kept);
  throw std::runtime_error(fmt::format("gnuplot failed on {}/{}: {}", dir, script, log));
}

}  // namespace attnlab
