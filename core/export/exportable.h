// What a model family exports to TorchScript: named methods, each the native model's own
// code plus a maker of example inputs at any batch size and length. The exporter traces each
// method, and checks the file against `run` at shapes other than the traced one.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace attnlab {

using Tensors = std::vector<torch::Tensor>;

struct ExportMethod {
  std::string name;                         // "forward", "encode", "decode"
  std::vector<std::string> argument_names;  // as the TorchScript method shows them
  std::string signature;                    // for people: "forward(idx: int64 [B, T]) -> logits: ..."
  // The native computation (the model in eval() mode, no gradients). One output is exported as
  // a tensor, several as a tuple.
  std::function<Tensors(const Tensors&)> run;
  // Inputs with batch size `batch` and sequence length `length` (ignored where the inputs
  // have a fixed size, e.g. images), drawn from `seed`: valid data the model expects.
  std::function<Tensors(int64_t batch, int64_t length, uint64_t seed)> example;
};

struct Exportable {
  std::vector<ExportMethod> methods;
  int64_t max_length = 0;  // the longest sequence a method takes; 0: inputs of a fixed size
};

// Example token ids [batch, length] drawn uniformly from [first_id, vocab_size). With
// pad_id >= 0, row b ends in min(b, length - 1) padding tokens, so that key-padding masks
// are exercised while every row keeps at least one real token.
torch::Tensor example_tokens(int64_t batch, int64_t length, uint64_t seed, int64_t vocab_size, int64_t first_id = 0,
                             int64_t pad_id = -1);

}  // namespace attnlab
