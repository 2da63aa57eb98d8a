// Checkpoint files that are written atomically and verified before use: an attnlab
// header (magic, payload length, FNV-1a checksum) followed by a LibTorch archive.
// A truncated or corrupt file is refused with a clear error before anything is loaded.
#pragma once

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace attnlab {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void save_archive(torch::serialize::OutputArchive& archive, const std::string& path);

// Verifies the header and checksum, then opens the archive (tensors mapped to `device`).
void load_archive(torch::serialize::InputArchive& archive, const std::string& path,
                  const torch::Device& device = torch::kCPU);

}  // namespace attnlab
