// Image classification data (`data.type: image_classification`): an MNIST-family dataset of
// IDX files (Fashion-MNIST from Debian's dataset-fashion-mnist by default). The last
// val_examples training images are the validation split, t10k the test split; images are
// normalised with the training images' mean and std, and training batches walk whole epochs
// with seeded crop-and-flip augmentation.
#pragma once

#include <string>
#include <vector>

#include "core/config/section.h"
#include "datasets/image_augment.h"
#include "datasets/indexed_source.h"

namespace attnlab {

// One field per `data:` key (see docs/config.md).
struct ImageDataOptions {
  std::string dir = "/usr/share/datasets/fashion-mnist";  // train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz]
  int64_t val_examples = 5000;  // the last N training images
  std::string class_names;      // comma-separated, by label; "" = Fashion-MNIST's ten
  ImageAugmentOptions augment;  // crop_padding, hflip
  // "file:line: data.key" of the keys checked against the images (ConfigSection::where).
  std::string val_examples_key = "data.val_examples", class_names_key = "data.class_names",
              crop_padding_key = "data.crop_padding";

  static ImageDataOptions read(ConfigSection& s);
};

// Fashion-MNIST's labels 0..9, as its README names them.
const std::vector<std::string>& fashion_mnist_classes();

// Images and their labels as read from one pair of IDX files.
struct LabelledImages {
  int64_t count = 0, channels = 1, height = 0, width = 0;
  std::vector<uint8_t> pixels;   // count x channels x height x width
  std::vector<int64_t> labels;   // count
};

// Reads `<dir>/<prefix>-images-idx3-ubyte[.gz]` and the matching labels file; a missing
// directory or file says how to install the data, a mismatch between the two files names both.
LabelledImages read_labelled_images(const std::string& dir, const std::string& prefix);

class ImageClassificationDataset : public IndexedBatchSource {
 public:
  // train (its last val_examples images become "val") and test; labels must be < class_names.size().
  ImageClassificationDataset(const LabelledImages& train, const LabelledImages& test, const ImageDataOptions& options,
                             uint64_t seed);

  const std::vector<std::string>& class_names() const { return class_names_; }
  std::vector<int64_t> class_counts(const std::string& split) const;
  int64_t channels() const { return channels_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  // Of the training pixels scaled to [0, 1]: inputs are (pixel / 255 - mean) / std.
  double pixel_mean() const { return mean_; }
  double pixel_std() const { return std_; }

 protected:
  // {"input": [B, C, H, W] float, normalised; "label": [B] int64}; augmented when rng is given.
  Batch make(const std::vector<int64_t>& examples, std::mt19937_64* rng) const override;

 private:
  ImageDataOptions options_;
  std::vector<std::string> class_names_;
  int64_t channels_, height_, width_;
  std::vector<uint8_t> pixels_;  // train then test images
  std::vector<int64_t> labels_;
  double mean_ = 0, std_ = 1;
};

}  // namespace attnlab
