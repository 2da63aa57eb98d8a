// A convolutional stem in front of a patch embedding (Xiao et al. 2021, "Early convolutions
// help transformers see better"): `layers` 3x3 convolutions of stride 2 and padding 1, each
// followed by BatchNorm and ReLU, with `channels` output channels in the first and twice as
// many in each next one (their 24, 48, 96, ...). Each layer halves the map, rounding up:
// 28x28 -> 14x14 -> 7x7 -> 4x4. The patch embedding then cuts the stem's map, not the pixels.
#pragma once

#include <torch/torch.h>

namespace attnlab {

struct ConvStemOptions {
  ConvStemOptions(int64_t in_channels, int64_t layers, int64_t channels)
      : in_channels_(in_channels), layers_(layers), channels_(channels) {}
  // Layer i's output channels: channels << i.
  int64_t layer_channels(int64_t i) const { return channels_ << i; }
  int64_t out_channels() const { return layers_ > 0 ? layer_channels(layers_ - 1) : in_channels_; }
  // The map's side after the stem: size halved `layers` times, rounding up.
  int64_t out_size(int64_t size) const;
  // Its weights: the convolutions' (no bias) and the BatchNorms' scales and shifts.
  int64_t parameter_count() const;

  TORCH_ARG(int64_t, in_channels);  // of the images
  TORCH_ARG(int64_t, layers);       // >= 1
  TORCH_ARG(int64_t, channels);     // of the first layer; doubled by each next one
};

class ConvStemImpl : public torch::nn::Module {
 public:
  explicit ConvStemImpl(const ConvStemOptions& options);
  // images [B, in_channels, H, W] -> features [B, out_channels, out_size(H), out_size(W)]
  torch::Tensor forward(const torch::Tensor& images);

  ConvStemOptions options;
  torch::nn::Sequential layers;  // conv, batch norm, relu, conv, ...
};
TORCH_MODULE(ConvStem);

}  // namespace attnlab
