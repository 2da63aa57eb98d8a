#include "datasets/extra_corpora.h"

#include <fmt/format.h>

#include <sstream>

#include "datasets/verse_keys.h"

namespace attnlab {

namespace {

std::vector<std::string> split_paths(const std::string& paths) {
  std::vector<std::string> out;
  std::istringstream in(paths);
  std::string p;
  while (std::getline(in, p, ',')) {
    const size_t a = p.find_first_not_of(" \t"), b = p.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(p.substr(a, b + 1 - a));
  }
  return out;
}

}  // namespace

std::vector<std::string> add_extra_corpora(const std::string& paths, VerseCorpus& corpus,
                                           std::map<std::string, std::vector<int64_t>>& splits) {
  const auto n = static_cast<int64_t>(corpus.verses.size());
  const VerseKeyIndex index(corpus.refs);
  // held_out[i + 1] - held_out[j]: how many of verses j..i are not training verses.
  std::vector<int64_t> training(static_cast<size_t>(n), 0), held_out(static_cast<size_t>(n) + 1, 0);
  for (int64_t i : splits.at("train")) training[static_cast<size_t>(i)] = 1;
  for (int64_t i = 0; i < n; ++i) held_out[static_cast<size_t>(i) + 1] = held_out[static_cast<size_t>(i)] + !training[static_cast<size_t>(i)];

  std::vector<std::string> report;
  for (const auto& path : split_paths(paths)) {
    VerseSplitOptions o;
    o.path = path;
    const VerseCorpus extra = VerseCorpus::read(o);
    int64_t kept = 0, leaking = 0, unknown = 0, chars = 0;
    for (size_t i = 0; i < extra.verses.size(); ++i) {
      const auto span = index.resolve(extra.refs[i]);
      if (!span) {
        ++unknown;
        continue;
      }
      if (held_out[static_cast<size_t>(span->second) + 1] - held_out[static_cast<size_t>(span->first)] > 0) {
        ++leaking;
        continue;
      }
      splits["train"].push_back(static_cast<int64_t>(corpus.verses.size()));
      corpus.verses.push_back(extra.verses[i]);
      corpus.refs.push_back(extra.refs[i]);
      ++kept, chars += static_cast<int64_t>(extra.verses[i].size());
    }
    report.push_back(fmt::format("extra text {}: {} of {} lines ({:.1f} MB) added to training; left out: {} keyed to "
                                 "val or test verses, {} keyed to verses the Bible lacks",
                                 path, kept, extra.verses.size(), chars / 1e6, leaking, unknown));
  }
  return report;
}

}  // namespace attnlab
