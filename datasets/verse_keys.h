// Verse keys of prepared corpora resolved against a Bible's references: "Genesis 1:2", a
// range "Genesis 1:2-4" or "Genesis 1:31-2:3", a whole chapter "Psalms 1", several of these
// joined by "; ". A key becomes the
// span of the Bible's verses it covers, by their order in its .refs file (SWORD's canonical
// order), so that any passage can be checked against the verse split.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

// "Genesis 1:2", "Genesis 1:2-4" (same chapter), "Genesis 1:31-2:3": the key of verses
// first..last of one book.
std::string verse_key(const std::string& book, int chapter, int verse, int last_chapter, int last_verse);
// "Psalms 1": the key of a whole chapter.
std::string chapter_key(const std::string& book, int chapter);

class VerseKeyIndex {
 public:
  explicit VerseKeyIndex(const std::vector<std::string>& refs);  // "Genesis 1:1", one per verse

  // [first, last] indices into refs, or nothing when the key is malformed, names a verse or
  // chapter the Bible lacks, or runs backwards.
  std::optional<std::pair<int64_t, int64_t>> resolve(const std::string& key) const;
  // A key of several parts, "Romans 14:23; Romans 16:25-27" (text the module numbers
  // differently): the span of each, or nothing when any part does not resolve.
  std::optional<std::vector<std::pair<int64_t, int64_t>>> resolve_all(const std::string& key) const;

 private:
  std::optional<int64_t> verse(const std::string& ref) const;

  std::map<std::string, int64_t> verse_;                         // "Genesis 1:1" -> 0
  std::map<std::string, std::pair<int64_t, int64_t>> chapter_;  // "Genesis 1" -> [0, 30]
};

}  // namespace attnlab
