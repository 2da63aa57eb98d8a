// IDX files, the format of MNIST and Fashion-MNIST: a magic number (two zero bytes, the
// element type, the number of dimensions), the sizes as big-endian 32-bit integers, then
// the elements. Read plain or gzip'd (zlib), unsigned bytes only. LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Reads an IDX file of unsigned bytes, gzip'd or not. A missing file, a bad magic number, a
// type other than unsigned byte, or data shorter or longer than the header says is an error
// (std::runtime_error) naming the file.
IdxArray read_idx(const std::string& path);

// Writes `array` as IDX, gzip'd when the path ends in ".gz" (fixtures and tests).
void write_idx(const std::string& path, const IdxArray& array);

}  // namespace attnlab
