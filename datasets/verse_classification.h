// Verse classification (`data.type: verse_classification`): each verse of the shared verse
// split labelled with its book group (datasets/book_groups.h), 8 classes.
#pragma once

#include "datasets/verse_batches.h"

namespace attnlab {

class VerseClassificationDataset : public VerseBatchSource {
 public:
  // Every reference must name a known book; the error names the first that does not.
  VerseClassificationDataset(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                             const Tokenizer& tokenizer, int64_t max_len);

  const std::vector<std::string>& class_names() const;
  // Examples of each class in `split`, by class id.
  std::vector<int64_t> class_counts(const std::string& split) const;

 protected:
  // {"input": [B, T], "label": [B] class ids}
  Batch make(const std::vector<int64_t>& verses, std::mt19937_64* rng) const override;

 private:
  std::vector<int64_t> labels_;  // by corpus index
};

}  // namespace attnlab
