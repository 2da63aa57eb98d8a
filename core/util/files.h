// Small file helpers shared by checkpoints, data preparation and run directories.
#pragma once

#include <string>

namespace attnlab {

// Writes `bytes` to `path` through a temporary file and a rename: readers never see half a file.
void write_file_atomic(const std::string& path, const std::string& bytes);

// The whole file; throws std::runtime_error naming the path if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace attnlab
