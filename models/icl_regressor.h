// In-context regression (Garg et al. 2022): the GPT family's causal stack, reused as a
// backbone, over the interleaved prompt x1, y1, x2, y2, ..., xP, yP. One linear map reads in
// every x and every y (padded with zeros to n_dims); a scalar read-out at each x position is
// the prediction of its y from the pairs before it.
#pragma once

#include <torch/torch.h>

#include "core/config/section.h"
#include "core/export/exportable.h"
#include "models/block_keys.h"
#include "models/gpt.h"

namespace attnlab {

// One field per `model:` key (the block keys); n_dims and n_points come from the data.
struct IclRegressorOptions : BlockKeys {
  IclRegressorOptions() { n_layer = 4, n_head = 4, n_embd = 128; }
  int64_t n_dims = 0;    // d: dimensions of x
  int64_t n_points = 0;  // the longest prompt, in (x, y) pairs: 2 n_points positions

  static IclRegressorOptions read(ConfigSection s);
};

class IclRegressorImpl : public torch::nn::Module {
 public:
  explicit IclRegressorImpl(const IclRegressorOptions& options);

  // xs [B, P, d], ys [B, P] -> predictions [B, P]: prediction i sees x_1..x_i and y_1..y_{i-1}.
  torch::Tensor forward(const torch::Tensor& xs, const torch::Tensor& ys);

  // TorchScript export: forward(xs, ys) at any batch size and any prompt length <= n_points.
  Exportable exportable();

  IclRegressorOptions options;
  torch::nn::Linear read_in{nullptr};
  GPT backbone{nullptr};
  torch::nn::Linear read_out{nullptr};
};
TORCH_MODULE(IclRegressor);

}  // namespace attnlab
