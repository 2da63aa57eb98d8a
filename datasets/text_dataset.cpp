#include "datasets/text_dataset.h"

#include <fmt/format.h>

namespace attnlab {

TextDataOptions TextDataOptions::read(ConfigSection s) {
  TextDataOptions o;
  o.tokenizer = TokenizerOptions::read(s);
  ATTNLAB_READ(s, o, path);
  ATTNLAB_READ(s, o, val_fraction, Range::open(0, 1));
  ATTNLAB_READ(s, o, stream);
  return o;
}

namespace {
torch::Tensor int32_stream(const std::vector<int64_t>& tokens) {
  // int32 halves the memory of the token stream; windows are widened to int64 per batch.
  return torch::tensor(tokens, torch::kLong).to(torch::kInt);
}
std::vector<int64_t> slice(const std::vector<int64_t>& v, size_t begin, size_t end) {
  return {v.begin() + static_cast<ptrdiff_t>(begin), v.begin() + static_cast<ptrdiff_t>(end)};
}
}  // namespace

TextDataset::TextDataset(const std::vector<int64_t>& tokens, double val_fraction, int64_t block_size, int64_t streams)
    : TextDataset(slice(tokens, 0, static_cast<size_t>(static_cast<double>(tokens.size()) * (1.0 - val_fraction))),
                  slice(tokens, static_cast<size_t>(static_cast<double>(tokens.size()) * (1.0 - val_fraction)),
                        tokens.size()),
                  block_size, streams) {}

TextDataset::TextDataset(const std::vector<int64_t>& train, const std::vector<int64_t>& val, int64_t block_size,
                         int64_t streams, const std::vector<int64_t>& token_characters)
    : train_(int32_stream(train)), val_(int32_stream(val)), block_size_(block_size), streams_(streams) {
  if (!token_characters.empty()) characters_ = torch::tensor(token_characters, torch::kLong);
  for (const auto* split : {"train", "val"})
    if (size(split) < block_size + 1)
      throw std::runtime_error(std::string("the ") + split + " split has " + std::to_string(size(split)) +
                               " tokens, fewer than model.block_size + 1 = " + std::to_string(block_size + 1) +
                               ": lower model.block_size, or change data.val_fraction (or add text)");
  if (streams_ > 0)
    for (const auto* split : {"train", "val"})
      if (segments_per_stream(split) < 1)
        throw std::runtime_error(fmt::format(
            "data.stream: the {} split's {} tokens, cut into {} streams (trainer.batch_size), leave fewer than "
            "model.block_size + 1 = {} tokens a stream: lower trainer.batch_size or model.block_size",
            split, size(split), streams_, block_size + 1));
}

int64_t TextDataset::segments_per_stream(const std::string& split) const {
  // A stream of L tokens holds (L - 1) / T segments: each needs its next token as a target.
  return streams_ > 0 ? (size(split) / streams_ - 1) / block_size_ : 0;
}

Batch TextDataset::stream_segment(const std::string& split, int64_t segment, int64_t first, int64_t rows) const {
  if (first < 0 || first + rows > streams_)
    throw std::invalid_argument(fmt::format("data.stream: rows [{}, {}) of {} streams: a stream batch has "
                                            "trainer.batch_size rows, one per stream (a distributed run cannot stream yet)",
                                            first, first + rows, streams_));
  const int64_t length = size(split) / streams_, s = segment % segments_per_stream(split);
  std::vector<int64_t> starts;
  for (int64_t r = first; r < first + rows; ++r) starts.push_back(r * length + s * block_size_);
  Batch batch = windows(split_tokens(split), starts);
  batch["first"] = torch::full({rows}, s == 0, torch::kBool);
  return batch;
}

const torch::Tensor& TextDataset::split_tokens(const std::string& split) const {
  if (split == "train") return train_;
  if (split == "val") return val_;
  throw std::invalid_argument("unknown split '" + split + "'");
}

Batch TextDataset::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw) const {
  if (streams_ > 0) return stream_segment(split, draw, 0, batch_size);
  const auto& data = split_tokens(split);
  std::uniform_int_distribution<int64_t> start(0, data.numel() - block_size_ - 1);
  std::vector<int64_t> starts(static_cast<size_t>(batch_size));
  for (auto& s : starts) s = start(rng);
  return windows(data, starts);
}

Batch TextDataset::eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const {
  if (streams_ > 0) return stream_segment(split, index, 0, batch_size);
  const auto& data = split_tokens(split);
  const int64_t total = count * batch_size, max_start = data.numel() - block_size_ - 1;
  std::vector<int64_t> starts(static_cast<size_t>(batch_size));
  for (int64_t i = 0; i < batch_size; ++i) {
    const int64_t w = index * batch_size + i;
    starts[static_cast<size_t>(i)] = total > 1 ? w * max_start / (total - 1) : 0;
  }
  return windows(data, starts);
}

int64_t TextDataset::num_examples(const std::string& split) const {
  if (streams_ > 0) return streams_ * segments_per_stream(split);
  return (split_tokens(split).numel() - 1) / block_size_;
}

Batch TextDataset::examples(const std::string& split, int64_t start, int64_t count) const {
  if (streams_ > 0) {  // whole segments of every stream, as evaluate_split walks them
    if (start % streams_ != 0 || count != streams_)
      throw std::invalid_argument(fmt::format("data.stream: examples [{}, {}) are not one segment of each of the {} "
                                              "streams: evaluate with a batch size of {} (trainer.batch_size)",
                                              start, start + count, streams_, streams_));
    return stream_segment(split, start / streams_, 0, count);
  }
  std::vector<int64_t> starts;
  for (int64_t i = start; i < std::min(start + count, num_examples(split)); ++i) starts.push_back(i * block_size_);
  return windows(split_tokens(split), starts);
}

Batch TextDataset::windows(const torch::Tensor& data, const std::vector<int64_t>& starts) const {
  // One gather: rows of [start, start + block_size] inclusive.
  const auto n = static_cast<int64_t>(starts.size());
  auto index = torch::tensor(starts, torch::kLong).unsqueeze(1) + torch::arange(block_size_ + 1, torch::kLong);
  auto w = data.index_select(0, index.flatten()).reshape({n, block_size_ + 1}).to(torch::kLong);
  Batch batch = {{"input", w.narrow(1, 0, block_size_)}, {"target", w.narrow(1, 1, block_size_)}};
  if (characters_.defined()) batch["target_characters"] = characters_.index_select(0, w.narrow(1, 1, block_size_).flatten()).view({n, block_size_});
  return batch;
}

}  // namespace attnlab
