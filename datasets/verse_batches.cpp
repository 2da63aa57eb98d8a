#include "datasets/verse_batches.h"

#include <algorithm>
#include <stdexcept>

namespace attnlab {

VerseBatchSource::VerseBatchSource(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                                   const Tokenizer& tokenizer, int64_t max_len)
    : pad_id_(tokenizer.specials().pad), splits_(std::move(splits)), max_len_(max_len) {
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

std::vector<std::string> VerseBatchSource::splits() const {
  std::vector<std::string> out;
  for (const char* s : {"train", "val", "test"})
    if (splits_.count(s) && !splits_.at(s).empty()) out.push_back(s);
  return out;
}

const std::vector<int64_t>& VerseBatchSource::verse_indices(const std::string& split) const {
  check_split(split);
  return splits_.at(split);
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

Batch VerseBatchSource::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t) const {
  const auto& r = verse_indices(split);
  std::vector<int64_t> chosen(static_cast<size_t>(batch_size));
  for (auto& c : chosen) c = r[rng() % r.size()];
  return make(chosen, &rng);
}

Batch VerseBatchSource::eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const {
  const auto& r = verse_indices(split);
  const int64_t n = static_cast<int64_t>(r.size()), total = count * batch_size;
  std::vector<int64_t> chosen;
  for (int64_t i = 0; i < batch_size; ++i) {
    const int64_t w = index * batch_size + i;
    chosen.push_back(r[static_cast<size_t>(total > 1 ? w * (n - 1) / (total - 1) : 0)]);
  }
  return make(chosen, nullptr);
}

Batch VerseBatchSource::examples(const std::string& split, int64_t start, int64_t count) const {
  const auto& r = verse_indices(split);
  const auto end = std::min<int64_t>(start + count, static_cast<int64_t>(r.size()));
  if (start < 0 || start >= end) throw std::out_of_range("examples: start out of range");
  return make(std::vector<int64_t>(r.begin() + start, r.begin() + end), nullptr);
}

}  // namespace attnlab
