// Where training reports: metrics.jsonl in the run directory (one JSON object per line)
// and a one-line console progress report.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace attnlab {

class MetricsLog {
 public:
  // Appends to `path` (a resumed run continues the same file), creating its folder.
  explicit MetricsLog(const std::string& path);
  void write(const nlohmann::json& record);
  // Removes records of steps after `step`: a run killed after its last checkpoint logged
  // steps that the resumed run will log again.
  void drop_after(int64_t step);

 private:
  std::string path_;
  std::ofstream out_;
};

// "1h02m", "3m07s", "12s"
std::string format_duration(double seconds);
// "12.3k", "950"
std::string format_count(double value);

}  // namespace attnlab
