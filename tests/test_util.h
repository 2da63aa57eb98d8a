// Helpers shared by the tests: temporary directories and small files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace attnlab::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "attnlab-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A few hundred lines of verse-like text with a small alphabet, for training tests.
inline std::string small_corpus(int lines = 300) {
  static const char* words[] = {"and", "the", "lord", "said", "unto", "him", "in", "beginning", "light", "was"};
  std::string text;
  unsigned state = 12345;
  for (int i = 0; i < lines; ++i) {
    for (int w = 0; w < 8; ++w) {
      state = state * 1103515245u + 12345u;
      text += words[(state >> 16) % 10];
      text += w == 7 ? ".\n" : " ";
    }
  }
  return text;
}

}  // namespace attnlab::testing
