#include "datasets/extra_corpora.h"

#include <fmt/format.h>

#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "datasets/text_lines.h"
#include "datasets/verse_keys.h"

namespace attnlab {

namespace {

constexpr size_t kQuoteWords = 8;

// The hashes of a text's runs of kQuoteWords words (lowercased ASCII letters and digits; any
// other byte ends a word).
std::vector<size_t> word_runs(const std::string& text) {
  std::vector<std::string> words(1);
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!words.back().empty()) words.emplace_back();
  }
  if (words.back().empty()) words.pop_back();
  std::vector<size_t> runs;
  for (size_t i = 0; i + kQuoteWords <= words.size(); ++i) {
    std::string run;
    for (size_t j = i; j < i + kQuoteWords; ++j) run += words[j] + " ";
    runs.push_back(std::hash<std::string>()(run));
  }
  return runs;
}

}  // namespace

std::vector<std::string> add_extra_corpora(const std::string& paths, VerseCorpus& corpus,
                                           std::map<std::string, std::vector<int64_t>>& splits) {
  const auto n = static_cast<int64_t>(corpus.verses.size());
  const VerseKeyIndex index(corpus.refs);
  // held_out[i + 1] - held_out[j]: how many of verses j..i are not training verses.
  std::vector<int64_t> held_out(static_cast<size_t>(n) + 1, 0);
  {
    std::vector<bool> training(static_cast<size_t>(n), false);
    for (int64_t i : splits.at("train")) training[static_cast<size_t>(i)] = true;
    for (size_t i = 0; i < training.size(); ++i) held_out[i + 1] = held_out[i] + !training[i];
  }
  // A quote of a held-out verse is pretraining on it whatever the key: runs of 8 words found in
  // a val or test verse and in no training verse mark a line as one.
  std::unordered_set<size_t> held_runs, training_runs;
  for (int64_t i = 0; i < n; ++i) {
    const bool training = held_out[static_cast<size_t>(i) + 1] == held_out[static_cast<size_t>(i)];
    for (size_t run : word_runs(corpus.verses[static_cast<size_t>(i)])) (training ? training_runs : held_runs).insert(run);
  }
  for (size_t run : training_runs) held_runs.erase(run);
  auto quotes_held_out = [&](const std::string& text) {
    for (size_t run : word_runs(text))
      if (held_runs.count(run)) return true;
    return false;
  };

  enum Verdict { kept, held, unknown, quote };
  auto verdict = [&](const std::string& key, const std::string& text) {
    const auto spans = index.resolve_all(key);
    if (!spans) return unknown;
    for (const auto& [first, last] : *spans)
      if (held_out[static_cast<size_t>(last) + 1] - held_out[static_cast<size_t>(first)] > 0) return held;
    return quotes_held_out(text) ? quote : kept;
  };

  std::vector<std::pair<std::string, VerseCorpus>> extras;  // path, lines
  for (const auto& path : split_list(paths)) {
    if (path.empty()) continue;
    VerseSplitOptions o;
    o.path = path;
    extras.emplace_back(path, VerseCorpus::read(o));
  }
  // The same text under several keys (a note repeated on distant verses, the WEB's parallel
  // passages: Genesis 10:8 and I Chronicles 1:10) is about all of them: it is added once, and
  // only if every copy is.
  std::unordered_map<std::string, bool> clean;  // text -> every copy's key is of training verses
  for (const auto& [path, extra] : extras)
    for (size_t i = 0; i < extra.verses.size(); ++i) {
      auto it = clean.emplace(extra.verses[i], true).first;
      it->second = it->second && verdict(extra.refs[i], extra.verses[i]) == kept;
    }

  std::vector<std::string> report;
  std::unordered_map<std::string, bool> added;
  for (const auto& [path, extra] : extras) {
    int64_t n_kept = 0, n_held = 0, n_unknown = 0, n_quotes = 0, n_copies = 0, chars = 0;
    for (size_t i = 0; i < extra.verses.size(); ++i) {
      const std::string& text = extra.verses[i];
      const Verdict v = verdict(extra.refs[i], text);
      if (v == unknown) ++n_unknown;
      else if (v == quote) ++n_quotes;
      else if (v == held || !clean.at(text)) ++n_held;
      else if (added[text]) ++n_copies;
      else {
        added[text] = true;
        splits["train"].push_back(static_cast<int64_t>(corpus.verses.size()));
        corpus.verses.push_back(text);
        corpus.refs.push_back(extra.refs[i]);
        ++n_kept, chars += static_cast<int64_t>(text.size());
      }
    }
    report.push_back(fmt::format("extra text {}: {} of {} lines ({:.1f} MB) added to training; left out: {} keyed "
                                 "to val or test verses (or the same text as one), {} quoting one ({} words in a "
                                 "row), {} keyed to verses the Bible lacks, {} repeated",
                                 path, n_kept, extra.verses.size(), chars / 1e6, n_held, n_quotes, kQuoteWords,
                                 n_unknown, n_copies) +
                     (extra.note.empty() ? "" : " (" + extra.note + ")"));
  }
  return report;
}

}  // namespace attnlab
