#include "datasets/verse_keys.h"

namespace attnlab {

std::string verse_key(const std::string& book, int chapter, int verse, int last_chapter, int last_verse) {
  std::string key = book + " " + std::to_string(chapter) + ":" + std::to_string(verse);
  if (last_chapter != chapter) return key + "-" + std::to_string(last_chapter) + ":" + std::to_string(last_verse);
  if (last_verse != verse) return key + "-" + std::to_string(last_verse);
  return key;
}

std::string chapter_key(const std::string& book, int chapter) { return book + " " + std::to_string(chapter); }

VerseKeyIndex::VerseKeyIndex(const std::vector<std::string>& refs) {
  for (size_t i = 0; i < refs.size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    verse_.emplace(refs[i], index);
    const size_t colon = refs[i].rfind(':');
    if (colon == std::string::npos) continue;
    auto [it, fresh] = chapter_.emplace(refs[i].substr(0, colon), std::make_pair(index, index));
    if (!fresh) it->second.second = index;
  }
}

std::optional<int64_t> VerseKeyIndex::verse(const std::string& ref) const {
  const auto it = verse_.find(ref);
  if (it == verse_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::vector<std::pair<int64_t, int64_t>>> VerseKeyIndex::resolve_all(const std::string& key) const {
  std::vector<std::pair<int64_t, int64_t>> spans;
  size_t from = 0;
  while (true) {
    const size_t end = key.find("; ", from);
    const auto span = resolve(key.substr(from, end == std::string::npos ? std::string::npos : end - from));
    if (!span) return std::nullopt;
    spans.push_back(*span);
    if (end == std::string::npos) return spans;
    from = end + 2;
  }
}

std::optional<std::pair<int64_t, int64_t>> VerseKeyIndex::resolve(const std::string& key) const {
  const size_t space = key.rfind(' ');
  if (space == std::string::npos) return std::nullopt;
  const std::string book = key.substr(0, space), place = key.substr(space + 1);  // "1:2-4"
  const size_t colon = place.find(':');
  if (colon == std::string::npos) {  // a whole chapter
    const auto it = chapter_.find(key);
    if (it == chapter_.end()) return std::nullopt;
    return it->second;
  }
  const std::string chapter = place.substr(0, colon);
  const size_t dash = place.find('-');
  const auto first = verse(book + " " + place.substr(0, dash));
  if (dash == std::string::npos) {
    if (!first) return std::nullopt;
    return std::make_pair(*first, *first);
  }
  const std::string end = place.substr(dash + 1);  // "4" or "2:3"
  const auto last = verse(book + " " + (end.find(':') == std::string::npos ? chapter + ":" + end : end));
  if (!first || !last || *last < *first) return std::nullopt;
  return std::make_pair(*first, *last);
}

}  // namespace attnlab
