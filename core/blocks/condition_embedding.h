// What a diffusion model is conditioned on, as vectors of n_embd (DiT, Peebles & Xie 2023,
// following ADM, Dhariwal & Nichol 2021): the noise level's timestep and the class.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// Sinusoidal features of real timesteps t [B] -> [B, dims]: cos(t * f_i) then sin(t * f_i),
// f_i = max_period^(-i / (dims / 2)) for i < dims / 2 (the "Attention Is All You Need" table,
// read at any real t, in DiT's layout); dims even. `like`: any tensor on the device wanted
// with at least dims / 2 elements in its last dimension (a traced graph then follows the
// model's device instead of baking in the CPU); undefined: t's device.
torch::Tensor timestep_features(const torch::Tensor& t, int64_t dims, double max_period = 10000,
                                const torch::Tensor& like = {});

struct TimestepEmbeddingOptions {
  explicit TimestepEmbeddingOptions(int64_t n_embd) : n_embd_(n_embd) {}
  TORCH_ARG(int64_t, n_embd);
  TORCH_ARG(int64_t, frequency_dims) = 256;  // sinusoidal features before the MLP
};

// t [B] (int64 or float) -> [B, n_embd]: timestep_features, then Linear, SiLU, Linear.
class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  explicit TimestepEmbeddingImpl(const TimestepEmbeddingOptions& options);
  torch::Tensor forward(const torch::Tensor& t);

  TimestepEmbeddingOptions options;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

// Class ids [B] in [0, num_classes] -> [B, n_embd]: one learned vector per class plus one for
// "no class" (id num_classes), the unconditional model of classifier-free guidance (Ho &
// Salimans 2022), which training reaches by dropping labels to that id.
class ClassEmbeddingImpl : public torch::nn::Module {
 public:
  ClassEmbeddingImpl(int64_t num_classes, int64_t n_embd);
  torch::Tensor forward(const torch::Tensor& labels);
  int64_t null_class() const { return num_classes; }

  int64_t num_classes;
  torch::nn::Embedding table{nullptr};  // [num_classes + 1, n_embd]
};
TORCH_MODULE(ClassEmbedding);

}  // namespace attnlab
