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
  // Continues `path` with the records of steps up to `keep_through_step` kept (a resumed run:
  // a run killed after its last checkpoint logged steps that it will log again), or starts it
  // afresh when `keep_through_step` < 0 (a new run in a directory that a run killed before its
  // first checkpoint left behind). Creates its folder.
  MetricsLog(const std::string& path, int64_t keep_through_step);
  void write(const nlohmann::json& record);

 private:
  std::string path_;
  std::ofstream out_;
};

// "1h02m", "3m07s", "12s"
std::string format_duration(double seconds);
// "12.3k", "950"
std::string format_count(double value);

}  // namespace attnlab
