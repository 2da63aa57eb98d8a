#include "datasets/indexed_source.h"

#include <algorithm>
#include <stdexcept>

#include "core/util/portable_random.h"

namespace attnlab {

std::vector<std::string> IndexedBatchSource::splits() const {
  std::vector<std::string> out;
  for (const char* s : {"train", "val", "test"})
    if (splits_.count(s) && !splits_.at(s).empty()) out.push_back(s);
  return out;
}

const std::vector<int64_t>& IndexedBatchSource::indices(const std::string& split) const {
  check_split(split);
  return splits_.at(split);
}

std::vector<int64_t> IndexedBatchSource::epoch_order(const std::string& split, int64_t epoch) const {
  std::vector<int64_t> order = indices(split);
  std::mt19937_64 rng = seeded_generator(epoch_seed_, {static_cast<uint32_t>(epoch)});
  shuffle(order, rng);
  return order;
}

Batch IndexedBatchSource::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
                                 int64_t draw) const {
  const auto& r = indices(split);
  if (walk_epochs_) {
    const int64_t per_epoch = static_cast<int64_t>(r.size()) / batch_size;
    if (per_epoch < 1)
      throw std::runtime_error("the " + split + " split has " + std::to_string(r.size()) +
                               " examples, fewer than one batch of " + std::to_string(batch_size));
    const int64_t epoch = draw / per_epoch, first = (draw % per_epoch) * batch_size;
    std::vector<int64_t> chosen;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (epoch != cached_epoch_ || split != cached_split_) {
        cached_order_ = epoch_order(split, epoch);
        cached_epoch_ = epoch, cached_split_ = split;
      }
      chosen.assign(cached_order_.begin() + first, cached_order_.begin() + first + batch_size);
    }
    return make(chosen, &rng);
  }
  std::vector<int64_t> chosen(static_cast<size_t>(batch_size));
  for (auto& c : chosen) c = r[rng() % r.size()];
  return make(chosen, &rng);
}

Batch IndexedBatchSource::eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const {
  const auto& r = indices(split);
  const int64_t n = static_cast<int64_t>(r.size()), total = count * batch_size;
  std::vector<int64_t> chosen;
  for (int64_t i = 0; i < batch_size; ++i) {
    const int64_t w = index * batch_size + i;
    chosen.push_back(r[static_cast<size_t>(total > 1 ? w * (n - 1) / (total - 1) : 0)]);
  }
  return make(chosen, nullptr);
}

Batch IndexedBatchSource::examples(const std::string& split, int64_t start, int64_t count) const {
  const auto& r = indices(split);
  const auto end = std::min<int64_t>(start + count, static_cast<int64_t>(r.size()));
  if (start < 0 || start >= end) throw std::out_of_range("examples: start out of range");
  return make(std::vector<int64_t>(r.begin() + start, r.begin() + end), nullptr);
}

}  // namespace attnlab
