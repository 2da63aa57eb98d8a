#include "datasets/parallel_corpus.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/util/files.h"
#include "datasets/text_lines.h"

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

std::vector<ParallelPair> read_parallel_tsv(const std::string& path, std::string* note) {
  if (!std::filesystem::exists(path)) {
    const std::string hint = prepare_hint(path);
    throw std::runtime_error("parallel text " + path + " not found" +
                             (hint.empty() ? std::string(" (set data.path)") : "; create it with: " + hint));
  }
  const std::vector<std::string> lines = split_lines(checked_text(read_file(path), path));
  std::vector<ParallelPair> pairs;
  std::vector<int64_t> malformed, one_sided, blank;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const auto number = static_cast<int64_t>(i) + 1;
    if (is_blank(line)) {
      blank.push_back(number);
      continue;
    }
    const size_t a = line.find('\t'), b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos || line.find('\t', b + 1) != std::string::npos) {
      malformed.push_back(number);
      continue;
    }
    ParallelPair pair{line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)};
    if (is_blank(pair.source) || is_blank(pair.target)) {
      one_sided.push_back(number);
      continue;
    }
    pairs.push_back(std::move(pair));
  }
  if (!malformed.empty())
    throw std::runtime_error(fmt::format("{}: expected three tab-separated fields (reference, source, target) at {}",
                                         path, describe_lines(malformed)));
  if (pairs.empty())
    throw std::runtime_error(fmt::format("{} has no sentence pair with text on both sides ({} line{} with a blank "
                                         "side, {} blank)",
                                         path, one_sided.size(), one_sided.size() == 1 ? "" : "s", blank.size()));
  std::vector<std::string> parts;
  if (!one_sided.empty())
    parts.push_back(fmt::format("{} pair{} with a blank side ({})", one_sided.size(), one_sided.size() == 1 ? "" : "s",
                                describe_lines(one_sided)));
  if (!blank.empty()) parts.push_back(fmt::format("{} blank line{} ({})", blank.size(), blank.size() == 1 ? "" : "s",
                                                  describe_lines(blank)));
  if (note) *note = parts.empty() ? "" : fmt::format("{}: dropped {}", path, fmt::join(parts, " and "));
  return pairs;
}

}  // namespace attnlab
