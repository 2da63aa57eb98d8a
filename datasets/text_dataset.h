// Language modelling on text: a file, a folder of .txt files or a glob (datasets/
// text_documents.h), tokenised into one training and one validation stream (documents joined
// by the tokenizer's [SEP]); batches are random windows of block_size + 1 tokens (nanoGPT),
// or, with data.stream, consecutive segments of parallel streams (Transformer-XL's batching).
#pragma once

#include <string>

#include "core/config/section.h"
#include "core/task.h"
#include "datasets/text_documents.h"
#include "datasets/tokenizer.h"

namespace attnlab {

// One field per `data:` key (see docs/config.md).
struct TextDataOptions {
  // char: built from all the text (nanoGPT); sentencepiece: trained on the training text only,
  // lossless (a newline piece, byte fallback: decode(encode(text)) == text).
  TokenizerOptions tokenizer;
  std::string path = "data/kjv/kjv.txt";  // a file, a folder or a glob; `attnlab data prepare kjv` writes the default
  double val_fraction = 0.1;              // of the characters: the last ones, or the last documents
  bool stream = false;  // batches continue each other row by row (for model.memory_length)

  static TextDataOptions read(ConfigSection s);
};

class TextDataset : public BatchSource {
 public:
  // streams > 0: stream batching. Each split is cut into `streams` equal contiguous parts, one
  // per batch row (trainer.batch_size of them); training draw d and evaluation batch d hold
  // segment d mod S of every part (S = segments a part holds), so row r of a batch continues
  // row r of the one before, and every S batches the streams start again. Batches then carry
  // "first" [B] bool, true where a row starts its stream (memory is reset there). The batch
  // is a pure function of d: resuming at a step continues the streams exactly.
  //
  // token_characters (optional, by token id: Tokenizer::characters): batches then carry
  // "target_characters" [B, T] int64, the characters each target stands for, so that the
  // loss converts to bits per character.
  TextDataset(const std::vector<int64_t>& train, const std::vector<int64_t>& val, int64_t block_size,
              int64_t streams = 0, const std::vector<int64_t>& token_characters = {});
  // One token stream cut at (1 - val_fraction) of its tokens.
  TextDataset(const std::vector<int64_t>& tokens, double val_fraction, int64_t block_size, int64_t streams = 0);

  // {"input": [B, block_size], "target": [B, block_size]} int64, target = input shifted by one.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng,
               int64_t draw = 0) const override;
  // Windows at evenly spaced offsets: window w of W = count * batch_size starts at w * (N - T - 1) / (W - 1).
  // Streams: the first `count` segments of the streams, in order.
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  // The whole split as consecutive non-overlapping windows. Streams: example e is segment
  // e / streams of stream e % streams, so batches of `streams` examples walk the streams in order.
  int64_t num_examples(const std::string& split) const override;
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  int64_t size(const std::string& split) const { return split_tokens(split).numel(); }
  int64_t streams() const { return streams_; }
  // Segments of block_size each stream of `split` holds (stream batching).
  int64_t segments_per_stream(const std::string& split) const;

 private:
  const torch::Tensor& split_tokens(const std::string& split) const;
  Batch windows(const torch::Tensor& data, const std::vector<int64_t>& starts) const;
  // Segment `segment` (mod the segments a stream holds) of streams [first, first + rows).
  Batch stream_segment(const std::string& split, int64_t segment, int64_t first, int64_t rows) const;
  torch::Tensor train_, val_;  // int32 token streams
  torch::Tensor characters_;   // int64 [V], or undefined
  int64_t block_size_;
  int64_t streams_ = 0;
};

}  // namespace attnlab
