// Image classification data (`data.type: image_classification`): labelled images from either
// - an MNIST-family dataset of IDX files (Fashion-MNIST from Debian's dataset-fashion-mnist by
//   default): the last val_examples training images are the validation split, t10k the test
//   split; or
// - a folder of class folders of PNG/JPEG images (datasets/image_folder.h: DIR/CLASS/* split by
//   seeded counts, or DIR/train/CLASS/* with optional val/ and test/), when DIR holds no IDX file.
// Images are normalised with the training images' mean and std, and training batches walk
// whole epochs with seeded crop-and-flip augmentation.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/section.h"
#include "datasets/image_augment.h"
#include "datasets/image_folder.h"
#include "datasets/indexed_source.h"

namespace attnlab {

// One field per `data:` key (see docs/config.md).
struct ImageDataOptions {
  // train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz], else class folders of images (see above).
  std::string dir = "/usr/share/datasets/fashion-mnist";
  // IDX: the last N training images are the validation split. Image folders: N training
  // images chosen by split_seed (not used when there is a val/ folder).
  int64_t val_examples = 5000;
  // Comma-separated, by label. IDX: "" = Fashion-MNIST's ten. Image folders: "" = the class
  // folders' names; else one display name per folder, in the folders' sorted order (another
  // count is an error).
  std::string class_names;
  // Image folders only (an error with IDX files):
  int64_t test_examples = 0;   // a flat folder (no train/): images in the test split; 0 = no test split
  int64_t split_seed = 1234;   // no val/ folder: which image goes to which split (independent of experiment.seed)
  std::string image_size;      // "HxW": every image resized to it (bilinear, antialiased when shrinking); "" = all one size
  int64_t channels = 0;        // 0 = auto (1 if every image is grayscale, else 3), 1 (BT.601 luma) or 3
  int64_t image_height = 0, image_width = 0;  // image_size parsed; 0 when ""
  ImageAugmentOptions augment;  // crop_padding, hflip
  // "file:line: data.key" of the keys checked against the images (ConfigSection::where).
  std::string val_examples_key = "data.val_examples", class_names_key = "data.class_names",
              crop_padding_key = "data.crop_padding", dir_key = "data.dir", test_examples_key = "data.test_examples",
              image_size_key = "data.image_size", channels_key = "data.channels";

  static ImageDataOptions read(ConfigSection& s);
};

// Fashion-MNIST's labels 0..9, as its README names them.
const std::vector<std::string>& fashion_mnist_classes();

// Reads `<dir>/<prefix>-images-idx3-ubyte[.gz]` and the matching labels file; a missing
// directory or file says how to install the data, a mismatch between the two files names both.
LabelledImages read_labelled_images(const std::string& dir, const std::string& prefix);

class ImageClassificationDataset : public IndexedBatchSource {
 public:
  // IDX: train (its last val_examples images become "val") and test; labels must be < the
  // class names' count (data.class_names, "" = Fashion-MNIST's ten).
  ImageClassificationDataset(const LabelledImages& train, const LabelledImages& test, const ImageDataOptions& options,
                             uint64_t seed);
  // Any source: every image in `images`, `splits` their indices ("train", "val", "test"; an
  // empty or absent test split is no split), labels < class_names.size().
  ImageClassificationDataset(LabelledImages images, std::map<std::string, std::vector<int64_t>> splits,
                             std::vector<std::string> class_names, const ImageDataOptions& options, uint64_t seed);

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

// The dataset data.dir holds, read and split, and what the report says about reading it.
struct ImageDataRead {
  std::shared_ptr<ImageClassificationDataset> data;
  std::vector<std::string> notes;  // "layout: ...", then what reading found (formats, size, channels, skipped)
};

// IDX files when any of the four is in options.dir (IDX alone, as before), else class folders
// of images, else an error saying both layouts. Errors name the key or the file.
ImageDataRead read_image_data(const ImageDataOptions& options, uint64_t seed);

}  // namespace attnlab
