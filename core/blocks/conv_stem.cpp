#include "core/blocks/conv_stem.h"

namespace attnlab {

int64_t ConvStemOptions::out_size(int64_t size) const {
  for (int64_t i = 0; i < layers_; ++i) size = (size + 1) / 2;  // (size + 2*1 - 3) / 2 + 1
  return size;
}

int64_t ConvStemOptions::parameter_count() const {
  int64_t n = 0, in = in_channels_;
  for (int64_t i = 0; i < layers_; ++i) {
    const int64_t out = layer_channels(i);
    n += in * out * 9 + 2 * out;
    in = out;
  }
  return n;
}

ConvStemImpl::ConvStemImpl(const ConvStemOptions& o) : options(o) {
  TORCH_CHECK(o.layers() >= 1 && o.channels() >= 1, "a convolutional stem needs at least one layer and channel");
  layers = register_module("layers", torch::nn::Sequential());
  int64_t in = o.in_channels();
  for (int64_t i = 0; i < o.layers(); ++i) {
    const int64_t out = o.layer_channels(i);
    // No convolution bias: the BatchNorm after it has one.
    layers->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(2).padding(1).bias(false)));
    layers->push_back(torch::nn::BatchNorm2d(out));
    layers->push_back(torch::nn::ReLU());
    in = out;
  }
}

torch::Tensor ConvStemImpl::forward(const torch::Tensor& images) { return layers->forward(images); }

}  // namespace attnlab
