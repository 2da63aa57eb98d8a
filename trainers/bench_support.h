// What the benchmark recipes share: a sample's spread and a scratch run directory (the
// process's memory figures are in core/util/allocator.h).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/allocator.h"

namespace attnlab {

// Median and the 10th / 90th percentiles of a sample.
struct Spread {
  double median = 0, p10 = 0, p90 = 0;
  explicit Spread(std::vector<double> v) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)]; };
    median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    p10 = at(0.1), p90 = at(0.9);
  }
  nlohmann::json json() const { return {{"median", median}, {"p10", p10}, {"p90", p90}}; }
};

// A scratch run directory for the trainer, removed with this object.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "attnlab-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a scratch directory in " + pattern);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

}  // namespace attnlab
