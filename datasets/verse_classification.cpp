#include "datasets/verse_classification.h"

#include <stdexcept>

#include "datasets/book_groups.h"

namespace attnlab {

VerseClassificationDataset::VerseClassificationDataset(const VerseCorpus& corpus,
                                                       std::map<std::string, std::vector<int64_t>> splits,
                                                       const Tokenizer& tokenizer, int64_t max_len)
    : VerseBatchSource(corpus, std::move(splits), tokenizer, max_len) {
  labels_.reserve(corpus.refs.size());
  for (size_t i = 0; i < corpus.refs.size(); ++i) {
    const int g = book_group(book_of(corpus.refs[i]));
    if (g < 0)
      throw std::runtime_error("verse reference '" + corpus.refs[i] + "' (line " + std::to_string(i + 1) +
                               ") names no book of the canon; expected SWORD's KJV book names");
    labels_.push_back(g);
  }
}

const std::vector<std::string>& VerseClassificationDataset::class_names() const { return book_group_names(); }

std::vector<int64_t> VerseClassificationDataset::class_counts(const std::string& split) const {
  std::vector<int64_t> counts(class_names().size(), 0);
  for (int64_t v : verse_indices(split)) ++counts[static_cast<size_t>(labels_[static_cast<size_t>(v)])];
  return counts;
}

Batch VerseClassificationDataset::make(const std::vector<int64_t>& verses, std::mt19937_64*) const {
  std::vector<int64_t> labels;
  for (int64_t v : verses) labels.push_back(labels_[static_cast<size_t>(v)]);
  return {{"input", padded(verses)}, {"label", torch::tensor(labels, torch::kLong)}};
}

}  // namespace attnlab
