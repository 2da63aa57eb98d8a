// What the data tells a model before it is built: filled by the data family (datasets/),
// read by the model family (models/). LibTorch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace attnlab {

// Saved with a run as model_context.json (trainers/run_model.cpp lists every field): a field
// added here goes there too, with the file's version raised and older files read with its default.
struct ModelContext {
  // What the data trains: "causal_lm", "masked_lm", "classification" (of token sequences),
  // "translation", "image_classification", "icl_regression", "offline_rl".
  std::string objective;
  int64_t vocab_size = 0;  // tokenizer's vocabulary
  int64_t pad_id = -1;     // -1: the data never pads
  int64_t seq_len = 0;     // tokens per example the data produces (at most)
  bool streams = false;    // each batch row continues that row of the batch before (data.stream)
  int64_t batch_tokens = 0;  // training batches of at most this many tokens (data.max_tokens); 0 = batch_size rows
  int64_t num_classes = 0;               // classification only
  std::vector<std::string> class_names;  // classification only, by class id
  std::string tokenizer_fingerprint;     // Tokenizer::fingerprint(): same vocabulary, same ids
  std::string data_type;                 // data.type, for error messages
  // Sequence generation (translation): the ids that start and end an output, and the
  // tokenizer's decode, so that a task can score detokenised text (BLEU).
  int64_t bos_id = -1, eos_id = -1;
  std::function<std::string(const std::vector<int64_t>&)> detokenize;
  // Images (inputs [B, channels, height, width]); 0 for token data.
  int64_t image_channels = 0, image_height = 0, image_width = 0;
  // How pixels in [0, 1] were normalised for the model: (x - image_mean) / image_std.
  double image_mean = 0, image_std = 1;
  // Real-valued vector inputs (in-context regression): dimensions of each x; 0 for other data.
  int64_t input_dims = 0;
  // Offline RL (data.type: trajectories): observations of input_dims numbers, discrete actions
  // (num_actions of them) or continuous ones (action_dims numbers each).
  std::string env;  // the registered environment rollouts run in (envs/env.h); "": none
  int64_t num_actions = 0, action_dims = 0;
  int64_t max_timestep = 0;  // timesteps are in [0, max_timestep)
  std::vector<double> observation_mean, observation_std;  // over the training steps: the model normalises with them
  double return_scale = 1;                 // the model divides returns-to-go by it
  double best_return = 0, mean_return = 0;  // over the training episodes
};

}  // namespace attnlab
