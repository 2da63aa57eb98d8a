#include "datasets/corpora.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "core/util/files.h"
#include "datasets/parallel_corpus.h"

namespace attnlab {
namespace fs = std::filesystem;

const std::vector<Corpus>& corpora() {
  static const std::vector<Corpus> list = {
      {"kjv", "engKJV2006eb", "sword-text-kjv", "King James Version (English), 31,102 verses", {}},
      {"sparv", "spaRV1909eb", "sword-text-sparv", "Reina-Valera 1909 (Spanish)", {}},
      {"bible-en-es", "", "sword-text-kjv sword-text-sparv",
       "KJV and Reina-Valera 1909 aligned by verse (English-Spanish pairs)", {"kjv", "sparv"}},
  };
  return list;
}

const Corpus& find_corpus(const std::string& name) {
  std::string known;
  for (const auto& c : corpora()) {
    if (c.name == name) return c;
    known += (known.empty() ? "" : ", ") + c.name;
  }
  throw std::runtime_error("unknown corpus '" + name + "' (known: " + known + ")");
}

namespace {

// Length of a Strong's number tag at raw[i] ("<H7119>", "<G0846>"), else 0. The Reina-Valera
// module carries 4,362 of them as literal text in 3,609 verses; they are not Spanish.
size_t strongs_tag_at(const std::string& raw, size_t i) {
  if (raw.compare(i, 2, "<H") != 0 && raw.compare(i, 2, "<G") != 0) return 0;
  size_t j = i + 2;
  while (j < raw.size() && std::isdigit(static_cast<unsigned char>(raw[j]))) ++j;
  if (j < raw.size() && std::islower(static_cast<unsigned char>(raw[j]))) ++j;
  return j > i + 2 && j < raw.size() && raw[j] == '>' ? j + 1 - i : 0;
}

std::string clean_verse(const std::string& raw) {
  static const std::string pilcrow = "\xC2\xB6";  // ¶ marks paragraph starts in the KJV
  std::string out;
  bool space = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw.compare(i, pilcrow.size(), pilcrow) == 0) {
      i += pilcrow.size() - 1;
      continue;
    }
    if (const size_t tag = strongs_tag_at(raw, i)) {
      i += tag - 1;
      // "palabra <G3056>, y" -> "palabra, y": punctuation after a tag closes up to the word.
      if (i + 1 < raw.size() && std::ispunct(static_cast<unsigned char>(raw[i + 1]))) space = false;
      continue;
    }
    const char c = raw[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::vector<Verse> parse_diatheke_output(const std::string& text, const std::string& module) {
  // Each verse starts "Book C:V: text". Other non-empty lines are headings, printed before
  // the next verse: a psalm title (or Psalm 119's letter) belongs to that verse; an epistle's
  // subscription ("Written from Rome ...") precedes the next book but ends the previous one.
  static const std::regex prefix(R"(^\s*((?:[1-4] |I{1,3} )?[A-Z][A-Za-z ]*?) (\d+):(\d+):)");
  std::vector<Verse> verses;
  std::string heading, book;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "(" + module + ")") continue;
    std::smatch m;
    if (std::regex_search(line, m, prefix, std::regex_constants::match_continuous)) {
      std::string body = line.substr(static_cast<size_t>(m.length(0)));
      if (!heading.empty()) {
        if (m[1].str() != book && !verses.empty()) verses.back().text = clean_verse(verses.back().text + " " + heading);
        else body = heading + " " + body;
        heading.clear();
      }
      book = m[1].str();
      verses.push_back({book + " " + m[2].str() + ":" + m[3].str(), clean_verse(body)});
    } else if (line.find_first_not_of(" \t\r") != std::string::npos) {
      heading = clean_verse(heading + " " + line);
    }
  }
  if (!heading.empty() && !verses.empty()) verses.back().text = clean_verse(verses.back().text + " " + heading);
  return verses;
}

std::vector<Verse> read_sword_bible(const Corpus& corpus) {
  const std::string cmd =
      // -o h: headings on. Without it diatheke still prints a psalm title, but repeats it
      // before every later verse of the range (14,781 verses from Psalm 145 to Revelation).
      "diatheke -b " + corpus.sword_module + " -f plain -o h -k 'Genesis 1:1-Revelation 22:21' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run diatheke: run scripts/bootstrap.sh to install it");
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  auto verses = parse_diatheke_output(out, corpus.sword_module);
  if (status != 0 || verses.empty())
    throw std::runtime_error("could not read SWORD module " + corpus.sword_module + " with diatheke: run "
                             "scripts/bootstrap.sh (installs diatheke and " + corpus.package + ")");
  return verses;
}

std::string prepare_corpus(const std::string& name, const std::string& out_dir) {
  const Corpus& corpus = find_corpus(name);
  fs::create_directories(out_dir);
  const std::string stem = (fs::path(out_dir) / name).string();
  if (!corpus.aligned.empty()) {
    size_t dropped = 0;
    const auto pairs = align_verses(read_sword_bible(find_corpus(corpus.aligned.at(0))),
                                    read_sword_bible(find_corpus(corpus.aligned.at(1))), &dropped);
    write_file_atomic(stem + ".tsv", format_parallel_tsv(pairs));
    return "wrote " + std::to_string(pairs.size()) + " aligned verse pairs to " + stem + ".tsv (" +
           std::to_string(dropped) + " verses left out: missing or empty on one side)";
  }
  auto verses = read_sword_bible(corpus);
  std::string text, refs;
  for (const auto& v : verses) {
    text += v.text + "\n";
    refs += v.ref + "\n";
  }
  write_file_atomic(stem + ".txt", text);
  write_file_atomic(stem + ".refs", refs);
  return "wrote " + std::to_string(verses.size()) + " verses to " + stem + ".txt (references in " + name + ".refs)";
}

std::string prepare_hint(const std::string& path) {
  const fs::path p(path);
  for (const auto& c : corpora())
    if (p.filename() == c.name + (c.aligned.empty() ? ".txt" : ".tsv")) return "attnlab data prepare " + c.name;
  return "";
}

}  // namespace attnlab
