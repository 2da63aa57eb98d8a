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
  // A section marker: "* Verse 3. *", "* Verses 1, 2. *", "*   Verses 4-6. *", "* Ver. 16. *",
  // "* Whole Psalm. *".
  static const std::regex marker(R"(\*\s*(?:(?:Verses?|Ver\.)\s+\d|Whole\s+(?:Psalm|verse)))");
  // Any mention of verses of the chapter: "Verse 3", "verses 14-18", "Verses 2 to 8", "Ver. 16".
  static const std::regex mention(R"(\b(?:[Vv]erses?\b|Ver\.)\s*(\d+(?:\s*(?:-|–|—|,|and|to)\s*\d+)*))");
  static const std::regex number(R"(\d+)");
  std::vector<Passage> passages;
  // A passage is keyed to its verses widened to every verse of the chapter it mentions:
  // unmarked sections ("Verse 19. Consider mine enemies") and notes that speak of other verses
  // ("Neither here nor in verses 14-18") are keyed to those too.
  auto add = [&](const Entry& e, const std::string& raw, bool whole_chapter) {
    std::string body = clean_passage(raw);
    if (body.empty()) return;
    std::vector<int> verses;  // mentioned; a chapter-scoped section's own marker comes first
    for (auto m = std::sregex_iterator(raw.begin(), raw.end(), mention); m != std::sregex_iterator(); ++m) {
      const std::string numbers = (*m)[1].str();
      for (auto n = std::sregex_iterator(numbers.begin(), numbers.end(), number); n != std::sregex_iterator(); ++n)
        verses.push_back(std::stoi(n->str()));
    }
    std::string key;
    if (whole_chapter || (scope == Corpus::Scope::chapter && verses.empty())) {
      key = chapter_key(e.book, e.chapter);
    } else if (e.last_chapter != e.chapter && !verses.empty()) {  // which chapter's verse? all of them
      for (int c = e.chapter; c <= e.last_chapter; ++c) key += (key.empty() ? "" : "; ") + chapter_key(e.book, c);
    } else if (e.last_chapter != e.chapter) {
      key = verse_key(e.book, e.chapter, e.verse, e.last_chapter, e.last_verse);
    } else {
      int first = e.verse, last = e.last_verse;
      if (scope == Corpus::Scope::chapter) first = last = verses.front();  // the section's marker
      for (int v : verses) first = std::min(first, v), last = std::max(last, v);
      key = verse_key(e.book, e.chapter, first, e.chapter, last);
    }
    passages.push_back({key, std::move(body)});
  };
  for (const Entry& e : read_entries(text, module)) {
    if (scope == Corpus::Scope::entry) {  // a note on its verses
      add(e, e.text, false);
      continue;
    }
    // The overview before the first marker and "Whole Psalm" sections are about every verse.
    size_t from = 0;
    bool whole = true;
    for (auto it = std::sregex_iterator(e.text.begin(), e.text.end(), marker); it != std::sregex_iterator(); ++it) {
      const auto at = static_cast<size_t>(it->position(0));
      add(e, e.text.substr(from, at - from), whole);
      from = at;
      whole = it->str().find("Whole") != std::string::npos;
    }
    add(e, e.text.substr(from), whole);
  }
  return passages;
}

}  // namespace attnlab
