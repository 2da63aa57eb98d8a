#include "datasets/parallel_corpus.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/util/files.h"

namespace attnlab {

std::vector<ParallelPair> align_verses(const std::vector<Verse>& source, const std::vector<Verse>& target,
                                       size_t* dropped) {
  std::unordered_map<std::string, const std::string*> by_ref;
  for (const auto& v : target) by_ref.emplace(v.ref, &v.text);
  std::vector<ParallelPair> pairs;
  for (const auto& v : source) {
    auto it = by_ref.find(v.ref);
    if (v.text.empty() || it == by_ref.end() || it->second->empty()) continue;
    pairs.push_back({v.ref, v.text, *it->second});
  }
  if (dropped) *dropped = source.size() - pairs.size();
  return pairs;
}

namespace {
std::string one_field(std::string s) {
  for (auto& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

std::string format_parallel_tsv(const std::vector<ParallelPair>& pairs) {
  std::string out;
  for (const auto& p : pairs) out += one_field(p.ref) + "\t" + one_field(p.source) + "\t" + one_field(p.target) + "\n";
  return out;
}

std::vector<ParallelPair> read_parallel_tsv(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    const std::string hint = prepare_hint(path);
    throw std::runtime_error("parallel text " + path + " not found" +
                             (hint.empty() ? std::string(" (set data.path)") : "; create it with: " + hint));
  }
  std::istringstream in(read_file(path));
  std::vector<ParallelPair> pairs;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    const size_t a = line.find('\t'), b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos || line.find('\t', b + 1) != std::string::npos)
      throw std::runtime_error(path + ":" + std::to_string(number) +
                               ": expected three tab-separated fields (reference, source, target)");
    pairs.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  if (pairs.empty()) throw std::runtime_error(path + " has no sentence pairs");
  return pairs;
}

}  // namespace attnlab
