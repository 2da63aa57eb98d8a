#include "datasets/idx_file.h"

#include <fmt/format.h>
#include <zlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

namespace attnlab {

namespace {

constexpr uint8_t kUnsignedByte = 0x08;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", path, what));
}

// Reads up to n bytes; gzread reads uncompressed files as they are.
size_t read_bytes(gzFile f, const std::string& path, uint8_t* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    const int got = gzread(f, out + done, chunk);
    if (got < 0) {
      int err = 0;
      fail(path, fmt::format("not a readable IDX file (gzip: {})", gzerror(f, &err)));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) fail(path, "no such file");
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open");
  uint8_t magic[4];
  if (read_bytes(f.get(), path, magic, 4) != 4) fail(path, "truncated: shorter than the 4-byte IDX magic number");
  if (magic[0] != 0 || magic[1] != 0 || magic[3] < 1 || magic[3] > 4)
    fail(path, fmt::format("not an IDX file (magic number {:02x} {:02x} {:02x} {:02x}; expected 00 00 08 01..04)",
                           magic[0], magic[1], magic[2], magic[3]));
  if (magic[2] != kUnsignedByte)
    fail(path, fmt::format("IDX element type 0x{:02x} is not supported (only 0x08, unsigned bytes)", magic[2]));

  IdxArray a;
  std::vector<uint8_t> header(4u * magic[3]);
  if (read_bytes(f.get(), path, header.data(), header.size()) != header.size())
    fail(path, "truncated: the header's sizes are cut short");
  size_t total = 1;
  for (size_t d = 0; d < magic[3]; ++d) {
    const uint8_t* b = &header[4 * d];
    const int64_t size = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
    if (size == 0) fail(path, fmt::format("dimension {} has size 0", d));
    if (total > (size_t{1} << 34) / static_cast<size_t>(size)) fail(path, "the header declares more than 16 GiB");
    a.dims.push_back(size);
    total *= static_cast<size_t>(size);
  }
  a.data.resize(total);
  const size_t got = read_bytes(f.get(), path, a.data.data(), total);
  if (got != total) fail(path, fmt::format("truncated: the header declares {} bytes of data, the file has {}", total, got));
  uint8_t extra;
  if (read_bytes(f.get(), path, &extra, 1) != 0)
    fail(path, fmt::format("has bytes after the {} bytes of data its header declares", total));
  return a;
}

void write_idx(const std::string& path, const IdxArray& array) {
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  GzFile f(gzopen(path.c_str(), gz ? "wb" : "wbT"));  // "T": write without compression
  if (!f) fail(path, "cannot open for writing");
  std::vector<uint8_t> bytes = {0, 0, kUnsignedByte, static_cast<uint8_t>(array.dims.size())};
  for (int64_t d : array.dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>((d >> shift) & 0xff));
  bytes.insert(bytes.end(), array.data.begin(), array.data.end());
  if (gzwrite(f.get(), bytes.data(), static_cast<unsigned>(bytes.size())) != static_cast<int>(bytes.size()))
    fail(path, "write failed");
  if (gzclose(f.release()) != Z_OK) fail(path, "write failed");
}

}  // namespace attnlab
