#include "core/util/checkpoint_file.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/util/files.h"

namespace attnlab {

namespace {

constexpr char kMagic[8] = {'A', 'T', 'T', 'N', 'C', 'K', 'P', '1'};
constexpr size_t kHeaderSize = sizeof(kMagic) + 2 * sizeof(uint64_t);

uint64_t fnv1a(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

void save_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::ostringstream payload_stream;
  archive.save_to(payload_stream);
  const std::string payload = payload_stream.str();
  const uint64_t size = payload.size(), sum = fnv1a(payload.data(), payload.size());
  std::string bytes(kMagic, sizeof(kMagic));
  bytes.append(reinterpret_cast<const char*>(&size), sizeof(size));
  bytes.append(reinterpret_cast<const char*>(&sum), sizeof(sum));
  bytes += payload;
  write_file_atomic(path, bytes);
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& path, const torch::Device& device) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const std::exception&) {
    throw CheckpointError("checkpoint " + path + " does not exist or cannot be read");
  }
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    throw CheckpointError("checkpoint " + path + " is not an attnlab checkpoint (bad header); refusing to load it");
  uint64_t size = 0, sum = 0;
  std::memcpy(&size, bytes.data() + sizeof(kMagic), sizeof(size));
  std::memcpy(&sum, bytes.data() + sizeof(kMagic) + sizeof(size), sizeof(sum));
  const size_t found = bytes.size() - kHeaderSize;
  if (found != size)
    throw CheckpointError("checkpoint " + path + " is truncated or corrupt: expected " + std::to_string(size) +
                          " payload bytes, found " + std::to_string(found) + "; refusing to load it");
  if (fnv1a(bytes.data() + kHeaderSize, found) != sum)
    throw CheckpointError("checkpoint " + path + " is corrupt (checksum mismatch); refusing to load it");
  std::istringstream payload(bytes.substr(kHeaderSize));
  archive.load_from(payload, device);
}

}  // namespace attnlab
