#include "datasets/corpora.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "core/util/files.h"
#include "datasets/book_groups.h"
#include "datasets/commentary.h"
#include "datasets/parallel_corpus.h"
#include "datasets/text_lines.h"
#include "datasets/verse_keys.h"
#include "envs/env.h"

namespace attnlab {
namespace fs = std::filesystem;

namespace {

Corpus bible(std::string name, std::string module, std::string package, std::string description,
             std::string diatheke_options = "h") {
  Corpus c;
  c.name = std::move(name), c.sword_module = std::move(module), c.package = std::move(package);
  c.description = std::move(description), c.diatheke_options = std::move(diatheke_options);
  return c;
}

Corpus commentary(std::string name, std::string module, std::string package, std::string description,
                  Corpus::Scope scope, std::string unavailable = "") {
  Corpus c = bible(std::move(name), std::move(module), std::move(package), std::move(description));
  c.kind = Corpus::Kind::commentary, c.scope = scope, c.unavailable = std::move(unavailable);
  c.diatheke_options = "";  // plain notes; "h" changes nothing for them
  return c;
}

}  // namespace

const std::vector<Corpus>& corpora() {
  static const std::vector<Corpus> list = [] {
    Corpus pair = bible("bible-en-es", "", "sword-text-kjv sword-text-sparv",
                        "KJV and Reina-Valera 1909 aligned by verse (English-Spanish pairs)");
    pair.kind = Corpus::Kind::parallel, pair.aligned = {"kjv", "sparv"};
    Corpus web = bible("web", "engWEB2015eb", "sword-text-web",
                       "World English Bible (modern English), 31,098 verses and the deuterocanon", "hn");
    // The WEB's versification is NRSVA: it prints the doxology the KJV numbers Romans 16:25-27
    // at the end of Romans 14:23 (the one verse of the 66 books more than 2.5 times the KJV's
    // length: 4.8 times), and leaves 16:25-27 empty.
    // Smaller moves between neighbours: Matthew 23:13 and 23:14 swapped, a clause of Acts 4:5
    // in 4:6 and of Acts 13:19 in 13:20.
    web.relocated = {{"Romans 14:23", "Romans 16:25-27"}, {"Matthew 23:13", "Matthew 23:14"},
                     {"Matthew 23:14", "Matthew 23:13"},   {"Acts 4:5", "Acts 4:6"},
                     {"Acts 4:6", "Acts 4:5"},             {"Acts 13:19", "Acts 13:20"},
                     {"Acts 13:20", "Acts 13:19"}};
    return std::vector<Corpus>{
        bible("kjv", "engKJV2006eb", "sword-text-kjv", "King James Version (English), 31,102 verses"),
        bible("sparv", "spaRV1909eb", "sword-text-sparv", "Reina-Valera 1909 (Spanish)"),
        pair,
        web,
        commentary("scofield", "Scofield", "sword-comm-scofield",
                   "Scofield Reference Notes (1917), notes keyed to verses", Corpus::Scope::entry),
        commentary("tdavid", "TDavid", "sword-comm-tdavid",
                   "Spurgeon's Treasury of David, one entry per psalm, sections by verse", Corpus::Scope::chapter),
        commentary("mhcc", "MHCC", "sword-comm-mhcc", "Matthew Henry's Concise Commentary", Corpus::Scope::entry,
                   "Debian's MHCC module cannot be read by verse: diatheke reports \"Error reading ulCompOffset\" "
                   "and returns for each verse about 50 KB of other chapters' notes, so no passage can be keyed "
                   "to the verses it comments on (and kept apart from held-out verses)"),
    };
  }();
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

}  // namespace

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

std::string strip_markup(const std::string& line) {
  static const std::regex element(R"(<[A-Za-z][^<>]*/>)");
  return std::regex_replace(line, element, "");
}

bool parse_verse_prefix(const std::string& line, std::string* book, int* chapter, int* verse, size_t* text_start) {
  // An optional speaker's label before the reference, set off by two or more spaces
  // ("Beloved <H1730>   Song of Solomon 5:10:" in the WEB), is no part of the book's name.
  static const std::regex prefix(R"(^\s*(?:[^:\s][^:]{0,39}?\s{2,})?((?:[1-4] |I{1,3} )?[A-Z][A-Za-z ]{0,30}?) (\d+):(\d+):)");
  std::smatch m;
  if (!std::regex_search(line, m, prefix, std::regex_constants::match_continuous)) return false;
  *book = kjv_book_name(m[1].str());
  *chapter = std::stoi(m[2].str());
  *verse = std::stoi(m[3].str());
  *text_start = static_cast<size_t>(m.length(0));
  return true;
}

std::vector<Verse> parse_diatheke_output(const std::string& text, const std::string& module) {
  // Each verse starts "Book C:V: text". The other non-empty lines are placed by the next verse
  // line's indentation: diatheke indents a verse line two spaces more than the others when a
  // heading stands before it, so the last line before such a verse is its heading (a psalm's
  // title, Psalm 119's letter); every other line continues the verse above it (the WEB's
  // poetry, one line per colon, and its paragraph breaks inside a verse; an epistle's
  // subscription, "Written from Rome ...", after its last verse). Lines after the last verse
  // and a blank line (the WEB's glossary) are no verse's.
  std::vector<Verse> verses;
  std::vector<std::string> pending;  // text lines since the last verse line
  size_t before_blank = std::string::npos;  // pending lines before the first blank line
  auto continue_last = [&](size_t count) {
    if (verses.empty()) return;
    std::string joined = verses.back().text;
    for (size_t i = 0; i < count; ++i) joined += " " + pending[i];
    verses.back().text = clean_verse(joined);
  };
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "(" + module + ")") continue;
    line = strip_markup(line);
    std::string book;
    int chapter = 0, verse = 0;
    size_t start = 0;
    if (!parse_verse_prefix(line, &book, &chapter, &verse, &start)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) pending.push_back(line);
      else if (before_blank == std::string::npos) before_blank = pending.size();
      continue;
    }
    const size_t indent = line.find_first_not_of(' ');
    const bool headed = indent >= 2 && !pending.empty();
    continue_last(pending.size() - (headed ? 1 : 0));
    std::string body = line.substr(start);
    if (headed) body = pending.back() + " " + body;
    verses.push_back({verse_key(book, chapter, verse, chapter, verse), clean_verse(body)});
    pending.clear();
    before_blank = std::string::npos;
  }
  continue_last(std::min(pending.size(), before_blank));
  return verses;
}

namespace {

// diatheke's plain-text output for the whole Bible range of a module; empty when unreadable.
std::string read_diatheke(const Corpus& corpus) {
  const std::string options = corpus.diatheke_options.empty() ? "" : " -o " + corpus.diatheke_options;
  const std::string cmd = "diatheke -b " + corpus.sword_module + " -f plain" + options +
                          " -k 'Genesis 1:1-Revelation 22:21' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run diatheke: run scripts/bootstrap.sh to install it");
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  return pclose(pipe) == 0 ? out : std::string();
}

[[noreturn]] void unreadable(const Corpus& corpus) {
  throw std::runtime_error("could not read SWORD module " + corpus.sword_module + " with diatheke: run "
                           "scripts/bootstrap.sh (installs diatheke and " + corpus.package + ")");
}

}  // namespace

std::vector<Verse> read_sword_bible(const Corpus& corpus) {
  auto verses = parse_diatheke_output(read_diatheke(corpus), corpus.sword_module);
  if (verses.empty()) unreadable(corpus);
  return verses;
}

std::string prepare_corpus(const std::string& name, const std::string& out_dir) {
  const Corpus& corpus = find_corpus(name);
  if (!corpus.unavailable.empty()) throw std::runtime_error("corpus '" + name + "' is not available: " + corpus.unavailable);
  fs::create_directories(out_dir);
  const std::string stem = (fs::path(out_dir) / name).string();
  if (corpus.kind == Corpus::Kind::commentary) {
    const auto passages = parse_commentary(read_diatheke(corpus), corpus.sword_module, corpus.scope);
    if (passages.empty()) unreadable(corpus);
    std::string text, keys;
    size_t lines = 0;
    for (const auto& p : passages)
      for (const auto& chunk : split_sentences(p.text, kCommentaryLineChars)) {
        text += chunk + "\n";
        keys += p.key + "\n";
        ++lines;
      }
    write_file_atomic(stem + ".txt", text);
    write_file_atomic(stem + ".refs", keys);
    return "wrote " + std::to_string(passages.size()) + " passages as " + std::to_string(lines) + " lines (" +
           std::to_string(text.size() / 1000) + " kB) to " + stem + ".txt (their verse keys in " + name + ".refs)";
  }
  if (corpus.kind == Corpus::Kind::parallel) {
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
    refs += v.ref;
    for (const auto& [at, is] : corpus.relocated)
      if (v.ref == at) refs += "; " + is;
    refs += "\n";
  }
  write_file_atomic(stem + ".txt", text);
  write_file_atomic(stem + ".refs", refs);
  return "wrote " + std::to_string(verses.size()) + " verses to " + stem + ".txt (references in " + name + ".refs)";
}

std::string prepare_hint(const std::string& path) {
  const fs::path p(path);
  for (const auto& c : corpora())
    if (p.filename() == c.name + (c.kind == Corpus::Kind::parallel ? ".tsv" : ".txt")) return "attnlab data prepare " + c.name;
  for (const auto& env : env_names())  // an environment's offline dataset (datasets/trajectory_file.h)
    if (p.filename() == env + ".jsonl" && find_env(env).behaviour) return "attnlab data prepare " + env;
  return "";
}

}  // namespace attnlab
