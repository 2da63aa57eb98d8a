// Unlabelled text for masked-LM pretraining beyond the shared Bible (`data.extra_corpora`):
// other translations and commentaries, prepared by `attnlab data prepare web|scofield|tdavid`,
// each line keyed to the verses it is about. The no-leak rule: a line is added to the training
// split only when every verse its key covers is a training verse of the shared split and it
// quotes no val or test verse (8 words in a row found in one and in no training verse); the
// same text under several keys counts as keyed to all of them and is added once. A line keyed
// to a verse or book the Bible lacks (which could not be checked) is left out too; each kind
// is counted.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "datasets/verse_corpus.h"

namespace attnlab {

// `paths`: comma-separated NAME.txt files, each with NAME.refs of verse keys beside it
// (datasets/verse_keys.h). Appends the kept lines to `corpus` (their key as the ref) and their
// indices to splits["train"]; returns one report line per file. A missing file says what to run.
std::vector<std::string> add_extra_corpora(const std::string& paths, VerseCorpus& corpus,
                                           std::map<std::string, std::vector<int64_t>>& splits);

}  // namespace attnlab
