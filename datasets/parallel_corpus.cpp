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

namespace {

// "path: dropped 2 pairs with a blank side (lines 3 and 7) and 1 blank line (line 9)", or "".
std::string dropped_note(const std::string& path, const std::vector<int64_t>& one_sided,
                         const std::vector<int64_t>& blank) {
  std::vector<std::string> parts;
  if (!one_sided.empty())
    parts.push_back(fmt::format("{} pair{} with a blank side ({})", one_sided.size(), one_sided.size() == 1 ? "" : "s",
                                describe_lines(one_sided)));
  if (!blank.empty()) parts.push_back(fmt::format("{} blank line{} ({})", blank.size(), blank.size() == 1 ? "" : "s",
                                                  describe_lines(blank)));
  return parts.empty() ? "" : fmt::format("{}: dropped {}", path, fmt::join(parts, " and "));
}

std::vector<std::string> read_lines(const std::string& path, const std::string& what, const std::string& key) {
  if (!std::filesystem::exists(path)) {
    const std::string hint = prepare_hint(path);
    throw std::runtime_error(what + " " + path + " not found" +
                             (hint.empty() ? " (check " + key + ")"
                                           : "; create it with: " + hint));
  }
  return split_lines(checked_text(read_file(path), path));
}

void check_not_empty(const std::vector<ParallelPair>& pairs, const std::string& where,
                     const std::vector<int64_t>& one_sided, const std::vector<int64_t>& blank) {
  if (pairs.empty())
    throw std::runtime_error(fmt::format("{} has no sentence pair with text on both sides ({} line{} with a blank "
                                         "side, {} blank)",
                                         where, one_sided.size(), one_sided.size() == 1 ? "" : "s", blank.size()));
}

}  // namespace

std::vector<ParallelPair> read_parallel_tsv(const std::string& path, std::string* note) {
  const std::vector<std::string> lines = read_lines(path, "parallel text", "data.path");
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
  check_not_empty(pairs, path, one_sided, blank);
  if (note) *note = dropped_note(path, one_sided, blank);
  return pairs;
}

std::vector<ParallelPair> read_parallel_files(const std::string& source_path, const std::string& target_path,
                                              std::string* note) {
  const std::vector<std::string> source = read_lines(source_path, "source file", "data.source_path"),
                                 target = read_lines(target_path, "target file", "data.target_path");
  if (source.size() != target.size())
    throw std::runtime_error(fmt::format("line-aligned files differ in length: {} has {} lines, {} has {} (line i of "
                                         "one must be the translation of line i of the other)",
                                         source_path, source.size(), target_path, target.size()));
  std::vector<ParallelPair> pairs;
  std::vector<int64_t> one_sided, blank;
  for (size_t i = 0; i < source.size(); ++i) {
    const auto number = static_cast<int64_t>(i) + 1;
    const bool s_blank = is_blank(source[i]), t_blank = is_blank(target[i]);
    if (s_blank && t_blank) {
      blank.push_back(number);
    } else if (s_blank || t_blank) {
      one_sided.push_back(number);
    } else {
      pairs.push_back({fmt::format("line {}", number), source[i], target[i]});
    }
  }
  const std::string both = source_path + " and " + target_path;
  check_not_empty(pairs, both, one_sided, blank);
  if (note) *note = dropped_note(both, one_sided, blank);
  return pairs;
}

}  // namespace attnlab
