// Parallel text: sentence pairs (reference, source, target), such as the King James Bible
// and the Reina-Valera 1909 aligned verse by verse. Stored as one tab-separated line per pair
// (`attnlab data prepare bible-en-es` writes data/bible-en-es/bible-en-es.tsv). LibTorch-free.
#pragma once

#include <string>
#include <vector>

#include "datasets/corpora.h"

namespace attnlab {

struct ParallelPair {
  std::string ref;     // "Genesis 1:1"
  std::string source;  // e.g. English
  std::string target;  // e.g. Spanish
};

// The verses present and non-empty in both Bibles, by reference, in the source's order.
// `dropped` (when given) receives how many source verses had no usable partner.
std::vector<ParallelPair> align_verses(const std::vector<Verse>& source, const std::vector<Verse>& target,
                                       size_t* dropped = nullptr);

// "ref\tsource\ttarget\n" per pair (tabs and newlines inside a text become spaces).
std::string format_parallel_tsv(const std::vector<ParallelPair>& pairs);
// Reads what format_parallel_tsv writes; a missing file says what to run, a malformed line
// names the file and line.
// Lines are read by the text rules of datasets/text_lines.h; pairs with a blank side and blank
// lines are dropped and described in `note` (lines without three fields are an error).
std::vector<ParallelPair> read_parallel_tsv(const std::string& path, std::string* note = nullptr);

// Two line-aligned files, line i of one the translation of line i of the other (the layout of
// fairseq, Marian and Moses: train.en / train.es); a pair's reference is "line N". Lines are
// read by the same rules; a pair with a blank side is dropped and described in `note`. A
// missing file is an error naming it, a different number of lines one naming both files
// and both counts.
std::vector<ParallelPair> read_parallel_files(const std::string& source_path, const std::string& target_path,
                                              std::string* note = nullptr);

}  // namespace attnlab
