#include "datasets/commentary.h"

#include <algorithm>
#include <regex>
#include <sstream>

namespace attnlab {

namespace {

struct Entry {
  std::string book;
  int chapter = 0, verse = 0;           // the first verse it is keyed to
  int last_chapter = 0, last_verse = 0;  // the last (linked) one
  std::string text;
};

std::string verse_key(const std::string& book, int chapter, int verse, int last_chapter, int last_verse) {
  std::string key = book + " " + std::to_string(chapter) + ":" + std::to_string(verse);
  if (last_chapter != chapter) return key + "-" + std::to_string(last_chapter) + ":" + std::to_string(last_verse);
  if (last_verse != verse) return key + "-" + std::to_string(last_verse);
  return key;
}

std::string chapter_key(const Entry& e) { return e.book + " " + std::to_string(e.chapter); }

std::string clean_passage(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '*'), text.end());  // diatheke's emphasis marks
  return clean_verse(text);
}

std::vector<Entry> read_entries(const std::string& text, const std::string& module) {
  std::vector<Entry> entries;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "(" + module + ")") continue;
    Entry e;
    size_t start = 0;
    if (parse_verse_prefix(line, &e.book, &e.chapter, &e.verse, &start)) {
      e.last_chapter = e.chapter, e.last_verse = e.verse;
      e.text = line.substr(start);
      // A note repeated on the next verse is one note linked to both.
      if (!entries.empty() && entries.back().book == e.book && !e.text.empty() && e.text == entries.back().text) {
        entries.back().last_chapter = e.chapter, entries.back().last_verse = e.verse;
        continue;
      }
      entries.push_back(std::move(e));
    } else if (!entries.empty()) {
      entries.back().text += "\n" + line;
    }
  }
  return entries;
}

}  // namespace

std::vector<Passage> parse_commentary(const std::string& text, const std::string& module, Corpus::Scope scope) {
  // "* Verse 3. *", "* Verses 1, 2. *", "*   Verses 4-6. *", "* Ver. 16. *", "* Whole Psalm. *"
  static const std::regex marker(
      R"(\*\s*(?:(?:Verses?|Ver\.)\s+(\d+(?:\s*(?:-|–|,|and)\s*\d+)*)|Whole\s+(?:Psalm|verse)))");
  static const std::regex number(R"(\d+)");
  std::vector<Passage> passages;
  auto add = [&](const std::string& key, const std::string& raw) {
    std::string body = clean_passage(raw);
    if (!body.empty()) passages.push_back({key, std::move(body)});
  };
  for (const Entry& e : read_entries(text, module)) {
    const std::string fallback = scope == Corpus::Scope::chapter
                                     ? chapter_key(e)
                                     : verse_key(e.book, e.chapter, e.verse, e.last_chapter, e.last_verse);
    std::string key = fallback;
    size_t from = 0;
    for (auto it = std::sregex_iterator(e.text.begin(), e.text.end(), marker); it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      add(key, e.text.substr(from, static_cast<size_t>(m.position(0)) - from));
      from = static_cast<size_t>(m.position(0));
      if (!m[1].matched) {  // "Whole Psalm": about every verse of the chapter
        key = chapter_key(e);
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

std::vector<std::string> split_sentences(const std::string& text, size_t max_chars) {
  // Sentences, and within a sentence too long for a line, words.
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool end = (text[i] == '.' || text[i] == '!' || text[i] == '?') && i + 1 < text.size() && text[i + 1] == ' ';
    if (!end && i + 1 != text.size()) continue;
    const std::string sentence = text.substr(start, i + 1 - start);
    start = i + 2;
    if (sentence.size() <= max_chars) {
      pieces.push_back(sentence);
      continue;
    }
    std::istringstream words(sentence);
    std::string word;
    while (words >> word) pieces.push_back(word);
  }
  std::vector<std::string> lines;
  std::string line;
  for (const auto& p : pieces) {
    if (p.empty()) continue;
    if (!line.empty() && line.size() + 1 + p.size() > max_chars) lines.push_back(std::move(line)), line.clear();
    line += (line.empty() ? "" : " ") + p;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace attnlab
