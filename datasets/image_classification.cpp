#include "datasets/image_classification.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "datasets/idx_file.h"
#include "datasets/text_lines.h"

namespace attnlab {

namespace {

// "<dir>/<name>.gz", else "<dir>/<name>"; the error says how to get the files.
std::string find_idx(const std::string& dir, const std::string& name) {
  for (const std::string& path : {dir + "/" + name + ".gz", dir + "/" + name})
    if (std::filesystem::exists(path)) return path;
  const std::string hint = "for Fashion-MNIST run `apt-get install dataset-fashion-mnist` (scripts/bootstrap.sh does)";
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error(fmt::format("data.dir {} does not exist: {}", dir, hint));
  throw std::runtime_error(fmt::format("data.dir {} has no {}[.gz]: {}", dir, name, hint));
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

ImageDataOptions ImageDataOptions::read(ConfigSection& s) {
  ImageDataOptions o;
  ATTNLAB_READ(s, o, dir);
  ATTNLAB_READ(s, o, val_examples, Range::at_least(1));
  ATTNLAB_READ(s, o, class_names);
  o.augment.crop_padding = s.get("crop_padding", o.augment.crop_padding, Range::at_least(0, "0 = no random crop"));
  o.augment.hflip = s.get("hflip", o.augment.hflip);
  o.augment.random_erasing = s.get("random_erasing", o.augment.random_erasing, Range::closed(0, 1, "0 = never"));
  // Checked against the images once they are read: the keys' places, for those messages.
  o.class_names_key = s.where("class_names");
  o.crop_padding_key = s.where("crop_padding");
  o.val_examples_key = s.where("val_examples");
  for (const auto& name : split_list(o.class_names))
    if (name.empty()) s.fail("class_names", "has an empty name (names are separated by commas)");
  return o;
}

LabelledImages read_labelled_images(const std::string& dir, const std::string& prefix) {
  const std::string image_path = find_idx(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_idx(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx(image_path);
  const IdxArray labels = read_idx(label_path);
  if (images.dims.size() != 3)
    throw std::runtime_error(fmt::format("{}: expected 3 dimensions (images, rows, columns), found {}", image_path,
                                         images.dims.size()));
  if (labels.dims.size() != 1)
    throw std::runtime_error(fmt::format("{}: expected 1 dimension (labels), found {}", label_path, labels.dims.size()));
  if (labels.dims[0] != images.dims[0])
    throw std::runtime_error(fmt::format("{} has {} labels for the {} images of {}", label_path, labels.dims[0],
                                         images.dims[0], image_path));
  LabelledImages out;
  out.count = images.dims[0], out.height = images.dims[1], out.width = images.dims[2];
  out.pixels = std::move(images.data);
  out.labels.assign(labels.data.begin(), labels.data.end());
  return out;
}

ImageClassificationDataset::ImageClassificationDataset(const LabelledImages& train, const LabelledImages& test,
                                                       const ImageDataOptions& options, uint64_t seed)
    : IndexedBatchSource([&] {
        if (options.val_examples >= train.count)
          throw ConfigError(fmt::format("{}: {} leaves no training images of the {}", options.val_examples_key,
                                        options.val_examples, train.count));
        std::map<std::string, std::vector<int64_t>> splits;
        const int64_t n_train = train.count - options.val_examples;
        for (int64_t i = 0; i < train.count + test.count; ++i)
          splits[i < n_train ? "train" : i < train.count ? "val" : "test"].push_back(i);
        return splits;
      }()),
      options_(options),
      class_names_(options.class_names.empty() ? fashion_mnist_classes() : split_list(options.class_names)),
      channels_(train.channels),
      height_(train.height),
      width_(train.width) {
  if (test.count > 0 && (test.channels != channels_ || test.height != height_ || test.width != width_))
    throw std::runtime_error(fmt::format("{}: test images are {}x{}, training images {}x{}", options.dir, test.height,
                                         test.width, height_, width_));
  pixels_ = train.pixels;
  pixels_.insert(pixels_.end(), test.pixels.begin(), test.pixels.end());
  labels_ = train.labels;
  labels_.insert(labels_.end(), test.labels.begin(), test.labels.end());
  int64_t num_labels = 0;
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (labels_[i] >= static_cast<int64_t>(class_names_.size()))
      throw ConfigError(fmt::format("{}: {} names, but label {} of {} image {} in {} needs one more",
                                    options.class_names_key, class_names_.size(), labels_[i],
                                    static_cast<int64_t>(i) < train.count ? "training" : "test",
                                    static_cast<int64_t>(i) < train.count ? i : i - train.count, options.dir));
    num_labels = std::max(num_labels, labels_[i] + 1);
  }
  // A name without images would give the classifier a class it can never see.
  if (static_cast<int64_t>(class_names_.size()) != num_labels)
    throw ConfigError(fmt::format("{}: {} names, but the labels of {} are 0..{} ({} classes)", options.class_names_key,
                                  class_names_.size(), options.dir, num_labels - 1, num_labels));
  if (options.augment.crop_padding >= std::min(height_, width_))
    throw ConfigError(fmt::format("{}: {} pixels of padding is not smaller than the {}x{} images",
                                  options.crop_padding_key, options.augment.crop_padding, height_, width_));
  // Normalisation statistics from the training split only (validation and test unseen).
  const size_t per_image = static_cast<size_t>(channels_ * height_ * width_);
  const size_t n = static_cast<size_t>(train.count - options.val_examples) * per_image;
  double sum = 0, sum_sq = 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = pixels_[i] / 255.0;
    sum += v, sum_sq += v * v;
  }
  mean_ = sum / static_cast<double>(n);
  std_ = std::sqrt(std::max(sum_sq / static_cast<double>(n) - mean_ * mean_, 1e-12));
  walk_epochs(seed);
}

std::vector<int64_t> ImageClassificationDataset::class_counts(const std::string& split) const {
  std::vector<int64_t> counts(class_names_.size(), 0);
  for (int64_t i : indices(split)) ++counts[static_cast<size_t>(labels_[static_cast<size_t>(i)])];
  return counts;
}

Batch ImageClassificationDataset::make(const std::vector<int64_t>& examples, std::mt19937_64* rng) const {
  const auto B = static_cast<int64_t>(examples.size());
  const int64_t per_image = channels_ * height_ * width_;
  auto bytes = torch::empty({B, channels_, height_, width_}, torch::kUInt8);
  auto label = torch::empty({B}, torch::kInt64);
  uint8_t* out = bytes.data_ptr<uint8_t>();
  int64_t* labels = label.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    const uint8_t* in = pixels_.data() + examples[static_cast<size_t>(b)] * per_image;
    if (rng && options_.augment.any())
      apply_transform(in, out + b * per_image, channels_, height_, width_, draw_transform(options_.augment, height_, width_, *rng));
    else
      std::memcpy(out + b * per_image, in, static_cast<size_t>(per_image));
    labels[b] = labels_[static_cast<size_t>(examples[static_cast<size_t>(b)])];
  }
  auto input = (bytes.to(torch::kFloat) / 255.0 - mean_) / std_;
  return {{"input", input}, {"label", label}};
}

}  // namespace attnlab
