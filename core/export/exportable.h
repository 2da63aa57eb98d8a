// What a model family exports to TorchScript: named methods, each the native model's own
// code plus a maker of example inputs at any batch size and length. The exporter traces each
// method, and checks the file against `run` at shapes other than the traced one.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace attnlab {

using Tensors = std::vector<torch::Tensor>;

// One dimension of an exported method's input: its name in messages ("B", "T") and its limit.
// Every dimension must be >= 1.
struct InputDim {
  std::string name;
  int64_t exact = 0;      // > 0: exactly this size (channels, n_dims)
  int64_t max = 0;        // > 0: at most this size (positions)
  std::string key;        // the option behind exact or max, for the message: "block_size"
  std::string same_as;    // "source.0": equal to dimension 0 of the argument `source`
};

// What an exported method accepts in one argument. The export writes these as TorchScript
// checks that run before the traced code (a traced graph cannot refuse anything itself), and
// proves each with a call that must raise (core/export/input_checks.h). Float inputs must
// also be finite.
struct InputSpec {
  torch::ScalarType dtype = torch::kLong;
  std::vector<InputDim> dims;  // the rank is dims.size()
  std::string meaning;         // "token ids", "images, normalised"
  int64_t vocab_size = 0;      // int64 inputs (token ids, counts): each in [0, vocab_size)
  int64_t pad_id = -1;         // >= 0: a row of padding only is refused (nothing to attend to)
  bool keep_one = false;       // bool padding masks: a row that is true everywhere is refused
  std::string bound_name = "the vocabulary's size";  // what vocab_size is, for the message
};

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
  // One per argument, in order: what the exported method checks before running.
  std::vector<InputSpec> inputs = {};
};

struct Exportable {
  std::vector<ExportMethod> methods;
  int64_t max_length = 0;  // the longest sequence a method takes; 0: inputs of a fixed size
  // What a caller needs beyond the methods (a diffusion model's noise schedule), written into
  // attnlab.json under "model".
  nlohmann::json model_facts = nlohmann::json::object();
};

// Example token ids [batch, length] drawn uniformly from [first_id, vocab_size). With
// pad_id >= 0, row b ends in min(b, length - 1) padding tokens, so that key-padding masks
// are exercised while every row keeps at least one real token.
torch::Tensor example_tokens(int64_t batch, int64_t length, uint64_t seed, int64_t vocab_size, int64_t first_id = 0,
                             int64_t pad_id = -1);

}  // namespace attnlab
