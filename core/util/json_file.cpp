#include "core/util/json_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "core/util/files.h"

namespace attnlab {

namespace {

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string reason(const nlohmann::json::exception& e) {
  const std::string what = e.what();
  const size_t cut = what.find("] ");
  return cut == std::string::npos ? what : what.substr(cut + 2);
}

}  // namespace

void read_json_file(const std::string& path, const std::function<void(const nlohmann::json&)>& read) {
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const size_t at = std::min<size_t>(e.byte, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    throw std::runtime_error(fmt::format("{}:{}: not valid JSON (the file is damaged): {}", path, line, reason(e)));
  }
  try {
    read(j);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: a field is missing or of the wrong type (the file is damaged): {}", path,
                                         reason(e)));
  }
}

void for_each_json_line(const std::string& path, const std::function<void(const nlohmann::json&, int64_t)>& f) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      f(nlohmann::json::parse(line), number);
    } catch (const nlohmann::json::exception& e) {
      // Python's json.dumps writes NaN and Infinity, which JSON does not have.
      const bool non_json_number = line.find("NaN") != std::string::npos || line.find("Infinity") != std::string::npos;
      throw std::runtime_error(fmt::format("{}:{}: a damaged record: {}{}", path, number, reason(e),
                                           non_json_number ? " (NaN and Infinity are not JSON numbers)" : ""));
    }
  }
}

}  // namespace attnlab
