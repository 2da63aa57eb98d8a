#include "datasets/verse_batches.h"

#include <algorithm>
#include <stdexcept>

namespace attnlab {

VerseBatchSource::VerseBatchSource(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                                   const Tokenizer& tokenizer, int64_t max_len)
    : IndexedBatchSource(std::move(splits)), pad_id_(tokenizer.specials().pad), max_len_(max_len) {
  if (max_len < 3) throw std::runtime_error("data.max_len must be >= 3 ([CLS], a token, [SEP])");
  const SpecialTokens sp = tokenizer.specials();
  tokens_.reserve(corpus.verses.size());
  int64_t total = 0, truncated = 0;
  for (const auto& verse : corpus.verses) {
    std::vector<int64_t> ids = tokenizer.encode(verse);
    total += static_cast<int64_t>(ids.size()) + 2;
    if (static_cast<int64_t>(ids.size()) > max_len - 2) {
      ids.resize(static_cast<size_t>(max_len - 2));
      ++truncated;
    }
    ids.insert(ids.begin(), sp.cls);
    ids.push_back(sp.sep);
    tokens_.push_back(std::move(ids));
  }
  const double n = static_cast<double>(corpus.verses.size());
  mean_length_ = static_cast<double>(total) / n;
  truncated_fraction_ = static_cast<double>(truncated) / n;
}

torch::Tensor VerseBatchSource::padded(const std::vector<int64_t>& verses) const {
  size_t len = 1;
  for (int64_t v : verses) len = std::max(len, tokens(v).size());
  auto out = torch::full({static_cast<int64_t>(verses.size()), static_cast<int64_t>(len)}, pad_id_, torch::kLong);
  auto acc = out.accessor<int64_t, 2>();
  for (size_t b = 0; b < verses.size(); ++b) {
    const auto& ids = tokens(verses[b]);
    for (size_t t = 0; t < ids.size(); ++t) acc[static_cast<int64_t>(b)][static_cast<int64_t>(t)] = ids[t];
  }
  return out;
}

}  // namespace attnlab
