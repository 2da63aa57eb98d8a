// A verse-per-line Bible (data/kjv/kjv.txt) with its references (kjv.refs), and the one
// deterministic train/val/test split by verse that every verse family shares, so that
// masked-LM pretraining and the classifier see the same training verses.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config/section.h"

namespace attnlab {

// `data:` keys shared by the verse families (one field per key; see docs/config.md).
struct VerseSplitOptions {
  std::string path = "data/kjv/kjv.txt";  // one verse per line
  std::string refs = "";                  // references, line by line; "" = path with .refs for .txt
  double val_fraction = 0.1;
  double test_fraction = 0.1;
  int64_t split_seed = 1234;  // fixes which verse goes to which split (independent of experiment.seed)

  static VerseSplitOptions read(ConfigSection& s);
  std::string refs_path() const;
};

struct VerseCorpus {
  std::vector<std::string> verses;  // one line each
  std::vector<std::string> refs;    // "Genesis 1:1", same length
  std::string note;                 // what reading dropped (blank verses, with their lines), or ""

  // Reads both files; a missing one names what to run, unequal line counts are an error.
  static VerseCorpus read(const VerseSplitOptions& options);
};

// The verse indices of each split ("train", "val", "test"), each in corpus order: a seeded
// permutation cut into (1 - val - test), val and test fractions. Portable: the same on every
// compiler and machine.
std::map<std::string, std::vector<int64_t>> split_verses(int64_t n, const VerseSplitOptions& options);
// The same seeded permutation of 0..n-1 cut into n_val validation, n_test test and the rest
// training examples (each in corpus order); too few examples is an error.
std::map<std::string, std::vector<int64_t>> split_by_counts(int64_t n, int64_t n_val, int64_t n_test, uint64_t seed);

// `count` of `indices` chosen by a generator seeded with `seed` (the same on every machine),
// returned in corpus order; all of them when count is 0 or at least their number.
std::vector<int64_t> seeded_subset(const std::vector<int64_t>& indices, int64_t count, uint64_t seed);

// "I Samuel 3:4" -> "I Samuel".
std::string book_of(const std::string& ref);

}  // namespace attnlab
