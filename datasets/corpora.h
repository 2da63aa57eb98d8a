// The real corpora attnlab prepares from installed Debian packages, for `attnlab data prepare
// NAME`: Bibles read from SWORD modules with `diatheke` (one verse per line), Bibles aligned by
// verse, and commentaries (passages keyed to the verses they comment on: datasets/commentary.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace attnlab {

struct Corpus {
  enum class Kind { bible, parallel, commentary };
  // How a commentary's entries become passages (datasets/commentary.h): each entry one passage
  // keyed to its verses (Scofield: a note per verse), or cut at its "* Verse N. *" sections,
  // the rest keyed to the whole chapter (Treasury of David: an entry per psalm).
  enum class Scope { entry, chapter };

  std::string name;          // what `attnlab data prepare` takes: "kjv"
  Kind kind = Kind::bible;
  std::string sword_module;  // SWORD module name: "engKJV2006eb"
  std::string package;       // Debian package that installs it
  std::string description;
  // diatheke's -o flags: "h" (headings: without it diatheke repeats a psalm's title before
  // every later verse of the range, 14,781 of them after Psalm 145); "hn" for the WEB, whose
  // words run together ("Godcreated") unless the Strong's numbers between them are printed
  // (and then removed); "" for commentaries.
  std::string diatheke_options = "h";
  Scope scope = Scope::entry;  // commentaries only
  // A parallel corpus: the source and target Bibles (names of other corpora) aligned by
  // verse into NAME.tsv; empty for a single Bible.
  std::vector<std::string> aligned;
  // Why the corpus cannot be prepared ("" = it can): said by `attnlab data prepare NAME`.
  std::string unavailable;
  // Verses under which the module prints text the KJV numbers elsewhere (its versification
  // differs), with the KJV verses that text is: written into NAME.refs as "A; B", so that the
  // line is checked against both.
  std::vector<std::pair<std::string, std::string>> relocated;
};

const std::vector<Corpus>& corpora();
const Corpus& find_corpus(const std::string& name);  // throws, listing the known names

struct Verse {
  std::string ref;   // "Genesis 1:1"
  std::string text;  // one line: pilcrows removed, whitespace runs collapsed; a psalm's title
                     // starts its first verse, an epistle's subscription ends its last
};

// Reads every verse of an installed SWORD Bible module through diatheke.
std::vector<Verse> read_sword_bible(const Corpus& corpus);

// Strips diatheke's plain-text output down to verses (exposed for tests). A line that is not
// a verse is the heading of the next verse when diatheke indents that verse line (two or more
// spaces), else it continues the verse above it (the WEB's poetry and paragraph breaks).
std::vector<Verse> parse_diatheke_output(const std::string& text, const std::string& module);

// The reference at the start of a diatheke line, "Genesis 1:1: text" (leading spaces and a
// speaker's label set off by two spaces allowed): sets book (the KJV module's name for it),
// chapter, verse and the offset of the text after the colon; false when the line does not
// start with one.
bool parse_verse_prefix(const std::string& line, std::string* book, int* chapter, int* verse, size_t* text_start);

// A line of diatheke's output without the empty markup elements some modules leave in it
// (`<div sID="gen34813" type="x-p"/>` before a WEB verse).
std::string strip_markup(const std::string& line);

// One line of text: pilcrows and Strong's tags ("<H0430>") removed, whitespace collapsed.
std::string clean_verse(const std::string& raw);

// Writes out_dir/NAME.txt (one verse per line) and out_dir/NAME.refs (the matching
// references, for verse alignment), for a commentary the same with one passage chunk per
// line and its verse key per line ("Genesis 1:2", "Genesis 1:2-4", "Psalms 1": see
// datasets/verse_keys.h), or for a parallel corpus out_dir/NAME.tsv (reference, source,
// target per line). Returns what was written, for the console; an unavailable corpus throws.
std::string prepare_corpus(const std::string& name, const std::string& out_dir);

// "attnlab data prepare kjv" when `path` is the default output of a known corpus (or of an
// environment's offline dataset: "attnlab data prepare cartpole"), else "".
std::string prepare_hint(const std::string& path);

}  // namespace attnlab
