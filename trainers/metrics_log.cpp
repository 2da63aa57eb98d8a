#include "trainers/metrics_log.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/util/files.h"

namespace attnlab {

MetricsLog::MetricsLog(const std::string& path, int64_t keep_through_step) : path_(path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::string kept;
  if (keep_through_step >= 0) {
    // A killed run may leave its last line half-written: that one is dropped; a damaged line
    // before it means the file was edited or corrupted, and is named.
    std::ifstream in(path_);
    std::vector<std::pair<int64_t, std::string>> lines;  // (line number, text) of non-blank lines
    int64_t number = 0;
    for (std::string line; std::getline(in, line);)
      if (++number, line.find_first_not_of(" \t\r") != std::string::npos) lines.emplace_back(number, line);
    for (size_t i = 0; i < lines.size(); ++i) {
      const auto& [at, text] = lines[i];
      auto record = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!record.is_object()) {
        if (i + 1 == lines.size()) break;
        throw std::runtime_error(fmt::format("{}:{}: a damaged record (not a JSON object): {:.60}", path_, at, text));
      }
      if (record.value("step", int64_t{0}) <= keep_through_step) kept += text + "\n";
    }
  }
  write_file_atomic(path_, kept);
  out_.open(path_, std::ios::app);
  if (!out_) throw std::runtime_error("cannot open " + path_ + " for writing");
}

void MetricsLog::write(const nlohmann::json& record) {
  out_ << record.dump() << "\n";
  out_.flush();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::lround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string format_count(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

}  // namespace attnlab
