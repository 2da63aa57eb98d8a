// Everything `attnlab data prepare NAME` can write: the corpora read from installed SWORD
// modules (datasets/corpora.h) and the environments' offline RL datasets
// (datasets/trajectory_file.h), in one list. LibTorch-free.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace attnlab {

struct PreparableData {
  std::string name, description;
  // Writes the data into `out_dir`; returns what was written, for the console.
  std::function<std::string(const std::string& out_dir)> prepare;
};

std::vector<PreparableData> preparable_data();
PreparableData find_preparable(const std::string& name);  // throws, listing the known names

}  // namespace attnlab
