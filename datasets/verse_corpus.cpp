#include "datasets/verse_corpus.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "core/util/portable_random.h"
#include "datasets/text_dataset.h"
#include "datasets/text_lines.h"

namespace attnlab {

VerseSplitOptions VerseSplitOptions::read(ConfigSection& s) {
  VerseSplitOptions o;
  ATTNLAB_READ(s, o, path);
  ATTNLAB_READ(s, o, refs);
  ATTNLAB_READ(s, o, val_fraction, Range::open(0, 1));
  ATTNLAB_READ(s, o, test_fraction, Range::half_open(0, 1));
  ATTNLAB_READ(s, o, split_seed, Range::closed(0, kMaxSeed));
  if (o.val_fraction + o.test_fraction >= 1.0) s.fail("test_fraction", "val_fraction + test_fraction must be < 1");
  return o;
}

std::string VerseSplitOptions::refs_path() const {
  if (!refs.empty()) return refs;
  return std::filesystem::path(path).replace_extension(".refs").string();
}

VerseCorpus VerseCorpus::read(const VerseSplitOptions& o) {
  VerseCorpus c;
  c.verses = split_lines(read_text_file(o.path));
  const std::string refs = o.refs_path();
  if (!std::filesystem::exists(refs))
    throw std::runtime_error("verse references '" + refs + "' not found (set data.refs); `attnlab data prepare` "
                             "writes NAME.refs next to NAME.txt");
  c.refs = split_lines(read_text_file(refs));
  if (c.refs.size() != c.verses.size())
    throw std::runtime_error(o.path + " has " + std::to_string(c.verses.size()) + " lines but " + refs + " has " +
                             std::to_string(c.refs.size()) + ": they must match line for line");
  // A blank verse is no example: dropped with its reference, and counted.
  std::vector<int64_t> blank;
  size_t kept = 0;
  for (size_t i = 0; i < c.verses.size(); ++i) {
    if (is_blank(c.verses[i])) {
      blank.push_back(static_cast<int64_t>(i) + 1);
      continue;
    }
    if (kept != i) c.verses[kept] = std::move(c.verses[i]), c.refs[kept] = std::move(c.refs[i]);
    ++kept;
  }
  c.verses.resize(kept), c.refs.resize(kept);
  if (c.verses.empty()) throw std::runtime_error(o.path + " has no verses (every line is blank)");
  if (!blank.empty())
    c.note = fmt::format("{}: dropped {} blank verse{} ({})", o.path, blank.size(), blank.size() == 1 ? "" : "s",
                         describe_lines(blank));
  return c;
}

std::vector<int64_t> seeded_subset(const std::vector<int64_t>& indices, int64_t count, uint64_t seed) {
  if (count <= 0 || count >= static_cast<int64_t>(indices.size())) return indices;
  std::vector<int64_t> chosen = indices;
  std::mt19937_64 rng(seed);
  shuffle(chosen, rng);
  chosen.resize(static_cast<size_t>(count));
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::map<std::string, std::vector<int64_t>> split_by_counts(int64_t n, int64_t n_val, int64_t n_test, uint64_t seed) {
  const int64_t n_train = n - n_val - n_test;
  if (n_train < 1 || n_val < 1 || n_test < 0)
    throw std::runtime_error("too few examples (" + std::to_string(n) + ") to split into " + std::to_string(n_val) +
                             " validation and " + std::to_string(n_test) + " test examples and a training set");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  shuffle(perm, rng);
  std::map<std::string, std::vector<int64_t>> out;
  out["train"].assign(perm.begin(), perm.begin() + n_train);
  out["val"].assign(perm.begin() + n_train, perm.begin() + n_train + n_val);
  out["test"].assign(perm.begin() + n_train + n_val, perm.end());
  for (auto& kv : out) std::sort(kv.second.begin(), kv.second.end());
  return out;
}

std::map<std::string, std::vector<int64_t>> split_verses(int64_t n, const VerseSplitOptions& o) {
  const auto n_val = static_cast<int64_t>(static_cast<double>(n) * o.val_fraction);
  const auto n_test = static_cast<int64_t>(static_cast<double>(n) * o.test_fraction);
  if (n_val < 1)
    throw std::runtime_error(fmt::format("data.val_fraction ({}) of the {} verses is no validation verse: raise it",
                                         o.val_fraction, n));
  return split_by_counts(n, n_val, n_test, static_cast<uint64_t>(o.split_seed));
}

std::string book_of(const std::string& ref) {
  const size_t space = ref.rfind(' ');
  return space == std::string::npos ? ref : ref.substr(0, space);
}

}  // namespace attnlab
