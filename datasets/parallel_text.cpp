#include "datasets/parallel_text.h"

#include <algorithm>
#include <stdexcept>

#include "core/util/portable_random.h"
#include "datasets/token_batching.h"

namespace attnlab {

EncodedPairs EncodedPairs::encode(const std::vector<ParallelPair>& pairs,
                                  std::map<std::string, std::vector<int64_t>> splits, const Tokenizer& tokenizer,
                                  int64_t max_len) {
  if (max_len < 2) throw std::runtime_error("data.max_len must be >= 2 (a token and [SEP])");
  EncodedPairs e;
  const size_t limit = static_cast<size_t>(max_len - 1);
  double src = 0, tgt = 0;
  for (const auto& p : pairs) {
    e.source.push_back(tokenizer.encode(p.source));
    e.target.push_back(tokenizer.encode(p.target));
    src += static_cast<double>(e.source.back().size() + 1), tgt += static_cast<double>(e.target.back().size() + 1);
  }
  e.mean_source = src / static_cast<double>(pairs.size()), e.mean_target = tgt / static_cast<double>(pairs.size());
  auto too_long = [&](int64_t i) {
    return e.source[static_cast<size_t>(i)].size() > limit || e.target[static_cast<size_t>(i)].size() > limit;
  };
  for (auto& [name, indices] : splits) {
    if (name == "train") {  // length filtering: a pair that does not fit is left out
      const auto before = indices.size();
      indices.erase(std::remove_if(indices.begin(), indices.end(), too_long), indices.end());
      e.filtered = static_cast<int64_t>(before - indices.size());
    } else {  // evaluation keeps every pair (cut to fit), ordered by source length
      for (int64_t i : indices) e.truncated += too_long(i);
      std::stable_sort(indices.begin(), indices.end(), [&](int64_t a, int64_t b) {
        return e.source[static_cast<size_t>(a)].size() < e.source[static_cast<size_t>(b)].size();
      });
    }
  }
  const int64_t sep = tokenizer.specials().sep;
  for (size_t i = 0; i < pairs.size(); ++i) {
    for (auto* side : {&e.source[i], &e.target[i]}) {
      if (side->size() > limit) side->resize(limit);
      side->push_back(sep);
    }
  }
  if (splits.at("train").empty()) throw std::runtime_error("no training pair fits data.max_len");
  e.splits = std::move(splits);
  return e;
}

ParallelTextDataset::ParallelTextDataset(const std::vector<ParallelPair>& pairs,
                                         std::map<std::string, std::vector<int64_t>> splits,
                                         const Tokenizer& tokenizer, const ParallelBatchingOptions& options)
    : ParallelTextDataset(EncodedPairs::encode(pairs, std::move(splits), tokenizer, options.max_len),
                          tokenizer.specials(), options) {}

ParallelTextDataset::ParallelTextDataset(EncodedPairs pairs, const SpecialTokens& specials,
                                         const ParallelBatchingOptions& options)
    : IndexedBatchSource(pairs.splits), pairs_(std::move(pairs)), sp_(specials), options_(options) {
  for (size_t i = 0; i < pairs_.source.size(); ++i)
    cost_.push_back(static_cast<int64_t>(std::max(pairs_.source[i].size(), pairs_.target[i].size())));
  if (options_.max_tokens > 0 && options_.max_tokens < options_.max_len)
    throw std::runtime_error("data.max_tokens (" + std::to_string(options_.max_tokens) +
                             ") must be at least data.max_len (" + std::to_string(options_.max_len) +
                             "), so that the longest pair fits in a batch");
}

Batch ParallelTextDataset::make(const std::vector<int64_t>& pairs, std::mt19937_64*) const {
  const auto B = static_cast<int64_t>(pairs.size());
  size_t S = 1, T = 1;
  for (int64_t i : pairs)
    S = std::max(S, pairs_.source[static_cast<size_t>(i)].size()), T = std::max(T, pairs_.target[static_cast<size_t>(i)].size());
  auto source = torch::full({B, static_cast<int64_t>(S)}, sp_.pad, torch::kLong);
  auto target_in = torch::full({B, static_cast<int64_t>(T)}, sp_.pad, torch::kLong);
  auto target_out = torch::full({B, static_cast<int64_t>(T)}, sp_.pad, torch::kLong);
  auto s = source.accessor<int64_t, 2>(), ti = target_in.accessor<int64_t, 2>(), to = target_out.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& src = pairs_.source[static_cast<size_t>(pairs[static_cast<size_t>(b)])];
    const auto& tgt = pairs_.target[static_cast<size_t>(pairs[static_cast<size_t>(b)])];
    for (size_t t = 0; t < src.size(); ++t) s[b][static_cast<int64_t>(t)] = src[t];
    for (size_t t = 0; t < tgt.size(); ++t) {  // teacher forcing: [CLS] y1 .. yn  ->  y1 .. yn [SEP]
      ti[b][static_cast<int64_t>(t)] = t == 0 ? sp_.cls : tgt[t - 1];
      to[b][static_cast<int64_t>(t)] = tgt[t];
    }
  }
  return {{"source", source}, {"target_in", target_in}, {"target_out", target_out}};
}

std::vector<std::vector<int64_t>> ParallelTextDataset::epoch_batches(int64_t epoch) const {
  if (options_.max_tokens <= 0) throw std::logic_error("epoch batches need data.max_tokens > 0");
  std::vector<int64_t> order = indices("train");
  std::mt19937_64 rng = seeded_generator(options_.seed, {static_cast<uint32_t>(epoch)});
  shuffle(order, rng);
  const double mean_cost = std::max(1.0, (pairs_.mean_source + pairs_.mean_target) / 2.0);
  const int64_t window = options_.bucket_window > 0
                             ? options_.bucket_window
                             : std::max<int64_t>(1, static_cast<int64_t>(100.0 * options_.max_tokens / mean_cost));
  auto batches = token_batches(order, cost_, options_.max_tokens, window);
  shuffle(batches, rng);  // sorted windows, but no length order across the epoch's batches
  return batches;
}

Batch ParallelTextDataset::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
                                  int64_t draw) const {
  if (options_.max_tokens <= 0 || split != "train") return IndexedBatchSource::sample(split, batch_size, rng, draw);
  std::lock_guard<std::mutex> lock(mutex_);
  // Find the epoch of this draw, planning epochs (a few ms each) until it is covered.
  while (epoch_start_.back() <= draw) {
    const auto epoch = static_cast<int64_t>(epoch_start_.size()) - 1;
    cached_batches_ = epoch_batches(epoch), cached_epoch_ = epoch;
    epoch_start_.push_back(epoch_start_.back() + static_cast<int64_t>(cached_batches_.size()));
  }
  const auto epoch = static_cast<int64_t>(std::upper_bound(epoch_start_.begin(), epoch_start_.end(), draw) -
                                          epoch_start_.begin()) - 1;
  if (epoch != cached_epoch_) cached_batches_ = epoch_batches(epoch), cached_epoch_ = epoch;
  return make(cached_batches_[static_cast<size_t>(draw - epoch_start_[static_cast<size_t>(epoch)])], nullptr);
}

Batch ParallelTextDataset::sample_shard(const std::string& split, int64_t batch_size, int rank, int world,
                                        std::mt19937_64& rng, int64_t draw) const {
  if (options_.max_tokens <= 0 || split != "train")
    return IndexedBatchSource::sample_shard(split, batch_size, rank, world, rng, draw);
  return sample(split, batch_size, rng, draw * world + rank);
}

std::pair<double, double> ParallelTextDataset::padding_fraction() const {
  std::vector<int64_t> src, tgt;
  for (size_t i = 0; i < pairs_.source.size(); ++i)
    src.push_back(static_cast<int64_t>(pairs_.source[i].size())), tgt.push_back(static_cast<int64_t>(pairs_.target[i].size()));
  const auto batches = epoch_batches(0);
  return {attnlab::padding_fraction(batches, src), attnlab::padding_fraction(batches, tgt)};
}

}  // namespace attnlab
