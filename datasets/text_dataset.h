// Language modelling on one text file: the token stream is split into train (first 90%)
// and val (last 10%), and batches are random windows of block_size + 1 tokens (nanoGPT).
#pragma once

#include <string>

#include "core/config/section.h"
#include "core/task.h"
#include "datasets/tokenizer.h"

namespace attnlab {

// One field per `data:` key (see docs/config.md).
struct TextDataOptions {
  TokenizerOptions tokenizer;             // char only: built from the whole text (nanoGPT)
  std::string path = "data/kjv/kjv.txt";  // UTF-8 text; `attnlab data prepare kjv` writes the default
  double val_fraction = 0.1;              // the last val_fraction of the text is validation

  static TextDataOptions read(ConfigSection s);
};

// Reads a UTF-8 data file by the text rules of datasets/text_lines.h ("\r\n" read as "\n");
// a missing one is an error that says which command creates it, invalid UTF-8 an error
// naming the file and the lines, a file without text an error.
std::string read_text_file(const std::string& path);

class TextDataset : public BatchSource {
 public:
  TextDataset(const std::vector<int64_t>& tokens, double val_fraction, int64_t block_size);

  // {"input": [B, block_size], "target": [B, block_size]} int64, target = input shifted by one.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
               int64_t draw = 0) const override;
  // Windows at evenly spaced offsets: window w of W = count * batch_size starts at w * (N - T - 1) / (W - 1).
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  // The whole split as consecutive non-overlapping windows.
  int64_t num_examples(const std::string& split) const override;
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  int64_t size(const std::string& split) const { return split_tokens(split).numel(); }

 private:
  const torch::Tensor& split_tokens(const std::string& split) const;
  Batch windows(const torch::Tensor& data, const std::vector<int64_t>& starts) const;
  torch::Tensor train_, val_;  // int32 token streams
  int64_t block_size_;
};

}  // namespace attnlab
