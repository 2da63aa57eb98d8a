// Commentaries from SWORD modules as passages keyed to the verses they comment on, so that
// masked-LM pretraining can leave out every passage about a held-out verse (docs/data.md).
#pragma once

#include <string>
#include <vector>

#include "datasets/corpora.h"

namespace attnlab {

struct Passage {
  std::string key;   // the verses it comments on: "Genesis 1:2", "Genesis 1:2-4", "Genesis 1:31-2:3", "Psalms 1"
  std::string text;  // one line: emphasis stars removed, whitespace collapsed
};

// Parses diatheke's plain output of a commentary over the whole Bible ("Book C:V: note", the
// note running on over the following lines). Consecutive verses with the same note are one
// entry keyed to all of them (SWORD links a note to a range that way); empty ones are dropped.
// Each entry is cut at its section markers: "* Verse 3. *", "* Verses 1-6. *", "* Ver. 16. *"
// start a passage keyed to those verses of the entry's chapter; "* Whole Psalm. *" one keyed
// to the whole chapter; text before the first marker is keyed by `scope` (the entry's verses,
// or its whole chapter).
std::vector<Passage> parse_commentary(const std::string& text, const std::string& module, Corpus::Scope scope);

// Cuts text into lines of at most max_chars bytes at sentence ends (". ", "! ", "? "), a longer
// sentence at spaces; a single word longer than max_chars is a line of its own.
std::vector<std::string> split_sentences(const std::string& text, size_t max_chars);

// The length of a prepared commentary line: about 50 subword tokens, a verse's worth, so that
// masked-LM examples of data.max_len 64 are rarely truncated.
constexpr size_t kCommentaryLineChars = 240;

}  // namespace attnlab
