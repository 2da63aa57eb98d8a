#include "datasets/commentary.h"

#include <algorithm>
#include <regex>
#include <sstream>

#include "datasets/verse_keys.h"

namespace attnlab {

namespace {

struct Entry {
  std::string book;
  int chapter = 0, verse = 0;            // the first verse it is keyed to
  int last_chapter = 0, last_verse = 0;  // the last (linked) one
  std::string text;
};

std::string clean_passage(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '*'), text.end());  // diatheke's emphasis marks
  return clean_verse(text);
}

// diatheke prints every verse of the range, in order, each starting a line. A line that reads
// like a reference but is not the next verse ("... the last clause of Ps 95:7: but", a quoted
// reference at a line's start) continues the note above it.
bool is_next_verse(const Entry& previous, const Entry& e) {
  if (e.book != previous.book) return e.chapter == 1 && e.verse == 1;
  if (e.chapter == previous.last_chapter) return e.verse == previous.last_verse + 1;
  return e.chapter == previous.last_chapter + 1 && e.verse == 1;
}

std::vector<Entry> read_entries(const std::string& text, const std::string& module) {
  std::vector<Entry> verses;  // one per verse line, with its continuation lines
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "(" + module + ")") continue;
    line = strip_markup(line);
    Entry e;
    size_t start = 0;
    if (parse_verse_prefix(line, &e.book, &e.chapter, &e.verse, &start) &&
        (verses.empty() || is_next_verse(verses.back(), e))) {
      e.last_chapter = e.chapter, e.last_verse = e.verse;
      e.text = line.substr(start);
      verses.push_back(std::move(e));
    } else if (!verses.empty()) {
      verses.back().text += "\n" + line;
    }
  }
  // A note repeated on the next verse is one note linked to both (compared whole, with its
  // continuation lines, as text: diatheke pads some copies with spaces); empty notes are no
  // entries.
  std::vector<Entry> entries;
  std::string last_clean;
  for (auto& e : verses) {
    const std::string clean = clean_passage(e.text);
    if (clean.empty()) continue;
    Entry* last = entries.empty() ? nullptr : &entries.back();
    if (last && last->book == e.book && clean == last_clean && is_next_verse(*last, e)) {
      last->last_chapter = e.chapter, last->last_verse = e.verse;
      continue;
    }
    last_clean = clean;
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace

std::vector<Passage> parse_commentary(const std::string& text, const std::string& module, Corpus::Scope scope) {
  // "* Verse 3. *", "* Verses 1, 2. *", "*   Verses 4-6. *", "* Verses 2 to 8 *", "* Ver. 16. *",
  // "* Whole Psalm. *"
  static const std::regex marker(
      R"(\*\s*(?:(?:Verses?|Ver\.)\s+(\d+(?:\s*(?:-|–|—|,|and|to)\s*\d+)*)|Whole\s+(?:Psalm|verse)))");
  static const std::regex number(R"(\d+)");
  std::vector<Passage> passages;
  auto add = [&](const std::string& key, const std::string& raw) {
    std::string body = clean_passage(raw);
    if (!body.empty()) passages.push_back({key, std::move(body)});
  };
  for (const Entry& e : read_entries(text, module)) {
    const std::string entry_key = verse_key(e.book, e.chapter, e.verse, e.last_chapter, e.last_verse);
    if (scope == Corpus::Scope::entry) {  // a note on its verses: any "Verse" in it is prose
      add(entry_key, e.text);
      continue;
    }
    std::string key = chapter_key(e.book, e.chapter);
    size_t from = 0;
    for (auto it = std::sregex_iterator(e.text.begin(), e.text.end(), marker); it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      add(key, e.text.substr(from, static_cast<size_t>(m.position(0)) - from));
      from = static_cast<size_t>(m.position(0));
      if (!m[1].matched) {  // "Whole Psalm": about every verse of the chapter
        key = chapter_key(e.book, e.chapter);
        continue;
      }
      const std::string numbers = m[1].str();
      int lo = 1 << 30, hi = 0;
      for (auto n = std::sregex_iterator(numbers.begin(), numbers.end(), number); n != std::sregex_iterator(); ++n)
        lo = std::min(lo, std::stoi(n->str())), hi = std::max(hi, std::stoi(n->str()));
      key = verse_key(e.book, e.chapter, lo, e.chapter, hi);
    }
    add(key, e.text.substr(from));
  }
  return passages;
}

}  // namespace attnlab
