#include "datasets/parallel_text.h"

#include <algorithm>
#include <stdexcept>

#include "datasets/token_batching.h"

namespace attnlab {

ParallelTextDataset::ParallelTextDataset(const std::vector<ParallelPair>& pairs,
                                         std::map<std::string, std::vector<int64_t>> splits,
                                         const Tokenizer& tokenizer, const ParallelBatchingOptions& options)
    : sp_(tokenizer.specials()), options_(options) {
  if (options.max_len < 2) throw std::runtime_error("data.max_len must be >= 2 (a token and [SEP])");
  const size_t limit = static_cast<size_t>(options.max_len - 1);
  double src = 0, tgt = 0;
  for (const auto& p : pairs) {
    source_.push_back(tokenizer.encode(p.source));
    target_.push_back(tokenizer.encode(p.target));
    src += static_cast<double>(source_.back().size() + 1), tgt += static_cast<double>(target_.back().size() + 1);
  }
  mean_src_ = src / static_cast<double>(pairs.size()), mean_tgt_ = tgt / static_cast<double>(pairs.size());
  auto too_long = [&](int64_t i) {
    return source_[static_cast<size_t>(i)].size() > limit || target_[static_cast<size_t>(i)].size() > limit;
  };
  for (auto& [name, indices] : splits) {
    if (name == "train") {  // length filtering: a pair that does not fit is left out
      const auto before = indices.size();
      indices.erase(std::remove_if(indices.begin(), indices.end(), too_long), indices.end());
      filtered_ = static_cast<int64_t>(before - indices.size());
    } else {  // evaluation keeps every pair (cut to fit), ordered by source length
      for (int64_t i : indices) truncated_ += too_long(i);
      std::stable_sort(indices.begin(), indices.end(), [&](int64_t a, int64_t b) {
        return source_[static_cast<size_t>(a)].size() < source_[static_cast<size_t>(b)].size();
      });
    }
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    for (auto* side : {&source_[i], &target_[i]}) {
      if (side->size() > limit) side->resize(limit);
      side->push_back(sp_.sep);
    }
    cost_.push_back(static_cast<int64_t>(std::max(source_[i].size(), target_[i].size())));
  }
  splits_ = std::move(splits);
  if (splits_.at("train").empty()) throw std::runtime_error("no training pair fits data.max_len");
  if (options_.max_tokens > 0 && options_.max_tokens < options_.max_len)
    throw std::runtime_error("data.max_tokens (" + std::to_string(options_.max_tokens) +
                             ") must be at least data.max_len (" + std::to_string(options_.max_len) +
                             "), so that the longest pair fits in a batch");
}

std::vector<std::string> ParallelTextDataset::splits() const {
  std::vector<std::string> out;
  for (const char* s : {"train", "val", "test"})
    if (splits_.count(s) && !splits_.at(s).empty()) out.push_back(s);
  return out;
}

const std::vector<int64_t>& ParallelTextDataset::split_indices(const std::string& split) const {
  check_split(split);
  return splits_.at(split);
}

int64_t ParallelTextDataset::num_examples(const std::string& split) const {
  return static_cast<int64_t>(split_indices(split).size());
}

Batch ParallelTextDataset::make(const std::vector<int64_t>& pairs) const {
  const auto B = static_cast<int64_t>(pairs.size());
  size_t S = 1, T = 1;
  for (int64_t i : pairs) S = std::max(S, source_[static_cast<size_t>(i)].size()), T = std::max(T, target_[static_cast<size_t>(i)].size());
  auto source = torch::full({B, static_cast<int64_t>(S)}, sp_.pad, torch::kLong);
  auto target_in = torch::full({B, static_cast<int64_t>(T)}, sp_.pad, torch::kLong);
  auto target_out = torch::full({B, static_cast<int64_t>(T)}, sp_.pad, torch::kLong);
  auto s = source.accessor<int64_t, 2>(), ti = target_in.accessor<int64_t, 2>(), to = target_out.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& src = source_[static_cast<size_t>(pairs[static_cast<size_t>(b)])];
    const auto& tgt = target_[static_cast<size_t>(pairs[static_cast<size_t>(b)])];
    for (size_t t = 0; t < src.size(); ++t) s[b][static_cast<int64_t>(t)] = src[t];
    for (size_t t = 0; t < tgt.size(); ++t) {  // teacher forcing: [CLS] y1 .. yn  ->  y1 .. yn [SEP]
      ti[b][static_cast<int64_t>(t)] = t == 0 ? sp_.cls : tgt[t - 1];
      to[b][static_cast<int64_t>(t)] = tgt[t];
    }
  }
  return {{"source", source}, {"target_in", target_in}, {"target_out", target_out}};
}

std::vector<std::vector<int64_t>> ParallelTextDataset::epoch_batches(int64_t epoch) const {
  std::vector<int64_t> order = splits_.at("train");
  std::seed_seq seq{static_cast<uint32_t>(options_.seed), static_cast<uint32_t>(options_.seed >> 32),
                    static_cast<uint32_t>(epoch)};
  std::mt19937_64 rng(seq);
  auto shuffle = [&rng](auto& v) {  // Fisher-Yates on the raw generator: the same on every platform
    for (size_t i = v.size(); i-- > 1;) std::swap(v[i], v[rng() % (i + 1)]);
  };
  shuffle(order);
  const double mean_cost = std::max(1.0, (mean_src_ + mean_tgt_) / 2.0);
  const int64_t window = options_.bucket_window > 0
                             ? options_.bucket_window
                             : std::max<int64_t>(1, static_cast<int64_t>(100.0 * options_.max_tokens / mean_cost));
  auto batches = token_batches(order, cost_, options_.max_tokens, window);
  shuffle(batches);  // sorted windows, but no length order across the epoch's batches
  return batches;
}

Batch ParallelTextDataset::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
                                  int64_t draw) const {
  const auto& indices = split_indices(split);
  if (options_.max_tokens <= 0 || split != "train") {
    std::vector<int64_t> chosen(static_cast<size_t>(batch_size));
    for (auto& c : chosen) c = indices[rng() % indices.size()];
    return make(chosen);
  }
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
  return make(cached_batches_[static_cast<size_t>(draw - epoch_start_[static_cast<size_t>(epoch)])]);
}

Batch ParallelTextDataset::eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const {
  const auto& r = split_indices(split);
  const int64_t n = static_cast<int64_t>(r.size()), total = count * batch_size;
  std::vector<int64_t> chosen;
  for (int64_t i = 0; i < batch_size; ++i) {
    const int64_t w = index * batch_size + i;
    chosen.push_back(r[static_cast<size_t>(total > 1 ? w * (n - 1) / (total - 1) : 0)]);
  }
  return make(chosen);
}

Batch ParallelTextDataset::examples(const std::string& split, int64_t start, int64_t count) const {
  const auto& r = split_indices(split);
  const auto end = std::min<int64_t>(start + count, static_cast<int64_t>(r.size()));
  if (start < 0 || start >= end) throw std::out_of_range("examples: start out of range");
  return make(std::vector<int64_t>(r.begin() + start, r.begin() + end));
}

std::pair<double, double> ParallelTextDataset::padding_fraction() const {
  std::vector<int64_t> src, tgt;
  for (size_t i = 0; i < source_.size(); ++i)
    src.push_back(static_cast<int64_t>(source_[i].size())), tgt.push_back(static_cast<int64_t>(target_[i].size()));
  const auto batches = epoch_batches(0);
  return {attnlab::padding_fraction(batches, src), attnlab::padding_fraction(batches, tgt)};
}

}  // namespace attnlab
