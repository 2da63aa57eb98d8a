// The real corpora attnlab prepares from installed Debian packages: Bibles read from
// SWORD modules with `diatheke`, one verse per line, for `attnlab data prepare NAME`.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

struct Corpus {
  std::string name;          // what `attnlab data prepare` takes: "kjv"
  std::string sword_module;  // SWORD module name: "engKJV2006eb"
  std::string package;       // Debian package that installs it
  std::string description;
  // A parallel corpus: the source and target Bibles (names of other corpora) aligned by
  // verse into NAME.tsv; empty for a single Bible.
  std::vector<std::string> aligned;
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

// Strips diatheke's plain-text output down to verses (exposed for tests).
std::vector<Verse> parse_diatheke_output(const std::string& text, const std::string& module);

// Writes out_dir/NAME.txt (one verse per line) and out_dir/NAME.refs (the matching
// references, for verse alignment), or for a parallel corpus out_dir/NAME.tsv (reference,
// source, target per line). Returns what was written, for the console.
std::string prepare_corpus(const std::string& name, const std::string& out_dir);

// "attnlab data prepare kjv" when `path` is the default output of a known corpus, else "".
std::string prepare_hint(const std::string& path);

}  // namespace attnlab
