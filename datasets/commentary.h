// Commentaries from SWORD modules as passages keyed to the verses they comment on, so that
// masked-LM pretraining can leave out every passage about a held-out verse (docs/data.md).
#pragma once

#include <string>
#include <vector>

#include "datasets/corpora.h"

namespace attnlab {

struct Passage {
  std::string key;   // the verses it comments on (datasets/verse_keys.h): "Genesis 1:2-4", "Psalms 1"
  std::string text;  // one line: emphasis stars removed, whitespace collapsed
};

// Parses diatheke's plain output of a commentary over the whole Bible ("Book C:V: note", the
// note running on over the following lines; every verse is printed, in order). Consecutive
// verses with the same note are one entry keyed to all of them (SWORD links a note to a range
// that way); empty ones are dropped. Scope::entry: an entry is one passage keyed to its verses.
// Scope::chapter: an entry is cut at its section markers: "* Verse 3. *", "* Verses 1-6. *",
// "* Verses 2 to 8 *", "* Ver. 16. *" start a passage keyed to those verses of the entry's
// chapter; "* Whole Psalm. *" and the text before the first marker are keyed to the whole
// chapter. A passage's prose may still speak of other verses: keys are what SWORD gives.
std::vector<Passage> parse_commentary(const std::string& text, const std::string& module, Corpus::Scope scope);

// The length of a prepared commentary line: about 50 subword tokens, a verse's worth, so that
// masked-LM examples of data.max_len 64 are rarely truncated.
constexpr size_t kCommentaryLineChars = 240;

}  // namespace attnlab
