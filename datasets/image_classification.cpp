#include "datasets/image_classification.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <regex>

#include "datasets/idx_file.h"
#include "datasets/text_lines.h"
#include "datasets/verse_corpus.h"

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
  ATTNLAB_READ(s, o, test_examples, Range::at_least(0, "a flat image folder; 0 = no test split"));
  ATTNLAB_READ(s, o, split_seed, Range::closed(0, kMaxSeed));
  ATTNLAB_READ(s, o, image_size);
  ATTNLAB_READ(s, o, channels, Range::closed(0, 3, "0 = auto"));
  if (o.channels == 2) s.fail("channels", "must be 0 (auto: 1 if every image is grayscale, else 3), 1 or 3");
  if (!o.image_size.empty()) {
    std::smatch m;
    static const std::regex hxw("([0-9]{1,5})x([0-9]{1,5})");
    if (!std::regex_match(o.image_size, m, hxw) || std::stoll(m[1]) == 0 || std::stoll(m[2]) == 0)
      s.fail("image_size", "must be \"HxW\" (height x width in pixels, e.g. \"32x32\"), or \"\" for images that all "
                           "have one size");
    o.image_height = std::stoll(m[1]), o.image_width = std::stoll(m[2]);
    if (o.image_height * o.image_width > (int64_t{1} << 24))
      s.fail("image_size", fmt::format("{} is {} pixels an image, more than this reader makes (16,777,216)", o.image_size,
                                       o.image_height * o.image_width));
  }
  o.augment.crop_padding = s.get("crop_padding", o.augment.crop_padding, Range::at_least(0, "0 = no random crop"));
  o.augment.hflip = s.get("hflip", o.augment.hflip);
  o.augment.random_erasing = s.get("random_erasing", o.augment.random_erasing, Range::closed(0, 1, "0 = never"));
  // Checked against the images once they are read: the keys' places, for those messages.
  o.class_names_key = s.where("class_names");
  o.crop_padding_key = s.where("crop_padding");
  o.val_examples_key = s.where("val_examples");
  o.dir_key = s.where("dir");
  o.test_examples_key = s.where("test_examples");
  o.image_size_key = s.where("image_size");
  o.channels_key = s.where("channels");
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

namespace {

// train [0, n_train), val [n_train, n_train + n_val), test after them: IDX files, and image
// folders with train/ and val/.
std::map<std::string, std::vector<int64_t>> consecutive_splits(int64_t n_train, int64_t n_val, int64_t n_test) {
  std::map<std::string, std::vector<int64_t>> splits;
  for (int64_t i = 0; i < n_train + n_val + n_test; ++i)
    splits[i < n_train ? "train" : i < n_train + n_val ? "val" : "test"].push_back(i);
  return splits;
}

// IDX files: the last val_examples of `count` training images as val, the n_test test images
// after them (too many is an error naming the key).
std::map<std::string, std::vector<int64_t>> tail_val_splits(int64_t count, int64_t n_test, const ImageDataOptions& o) {
  if (o.val_examples >= count)
    throw ConfigError(fmt::format("{}: {} leaves no training images of the {}", o.val_examples_key, o.val_examples, count));
  return consecutive_splits(count - o.val_examples, o.val_examples, n_test);
}

// Image folders without val/: a seeded val_examples of the `count` training images as val (data.split_seed), the n_test
// test images after them: a folder whose file names sort by class (cat.1.jpg, dog.1.jpg)
// still gets every class in its validation split. Too many is an error naming the key.
std::map<std::string, std::vector<int64_t>> seeded_val_splits(int64_t count, int64_t n_test, const ImageDataOptions& o) {
  if (o.val_examples >= count)
    throw ConfigError(fmt::format("{}: {} leaves no training images of the {}", o.val_examples_key, o.val_examples, count));
  auto splits = split_by_counts(count, o.val_examples, 0, static_cast<uint64_t>(o.split_seed));
  splits.erase("test");
  for (int64_t i = count; i < count + n_test; ++i) splits["test"].push_back(i);
  return splits;
}

LabelledImages concatenate(const std::vector<const LabelledImages*>& parts) {
  LabelledImages out = *parts.front();
  for (size_t i = 1; i < parts.size(); ++i) {
    out.count += parts[i]->count;
    out.pixels.insert(out.pixels.end(), parts[i]->pixels.begin(), parts[i]->pixels.end());
    out.labels.insert(out.labels.end(), parts[i]->labels.begin(), parts[i]->labels.end());
  }
  return out;
}

LabelledImages concatenate_idx(const LabelledImages& train, const LabelledImages& test, const ImageDataOptions& o) {
  if (test.count > 0 && (test.channels != train.channels || test.height != train.height || test.width != train.width))
    throw std::runtime_error(fmt::format("{}: test images are {}x{}, training images {}x{}", o.dir, test.height,
                                         test.width, train.height, train.width));
  return concatenate({&train, &test});
}

// data.class_names for IDX labels: "" = Fashion-MNIST's; every label must have a name and
// every name a label.
std::vector<std::string> idx_class_names(const LabelledImages& train, const LabelledImages& test, const ImageDataOptions& o) {
  std::vector<std::string> names = o.class_names.empty() ? fashion_mnist_classes() : split_list(o.class_names);
  int64_t num_labels = 0;
  for (const LabelledImages* part : {&train, &test})
    for (size_t i = 0; i < part->labels.size(); ++i) {
      const int64_t label = part->labels[i];
      if (label >= static_cast<int64_t>(names.size()))
        throw ConfigError(fmt::format("{}: {} names, but label {} of {} image {} in {} needs one more", o.class_names_key,
                                      names.size(), label, part == &train ? "training" : "test", i, o.dir));
      num_labels = std::max(num_labels, label + 1);
    }
  // A name without images would give the classifier a class it can never see.
  if (static_cast<int64_t>(names.size()) != num_labels)
    throw ConfigError(fmt::format("{}: {} names, but the labels of {} are 0..{} ({} classes)", o.class_names_key,
                                  names.size(), o.dir, num_labels - 1, num_labels));
  return names;
}

}  // namespace

ImageClassificationDataset::ImageClassificationDataset(const LabelledImages& train, const LabelledImages& test,
                                                       const ImageDataOptions& options, uint64_t seed)
    : ImageClassificationDataset(concatenate_idx(train, test, options), tail_val_splits(train.count, test.count, options),
                                 idx_class_names(train, test, options), options, seed) {}

ImageClassificationDataset::ImageClassificationDataset(LabelledImages images,
                                                       std::map<std::string, std::vector<int64_t>> splits,
                                                       std::vector<std::string> class_names,
                                                       const ImageDataOptions& options, uint64_t seed)
    : IndexedBatchSource(std::move(splits)),
      options_(options),
      class_names_(std::move(class_names)),
      channels_(images.channels),
      height_(images.height),
      width_(images.width),
      pixels_(std::move(images.pixels)),
      labels_(std::move(images.labels)) {
  for (int64_t label : labels_)
    if (label < 0 || label >= static_cast<int64_t>(class_names_.size()))
      throw std::runtime_error(fmt::format("{}: label {} has no class name (of {})", options.dir, label, class_names_.size()));
  if (options.augment.crop_padding >= std::min(height_, width_))
    throw ConfigError(fmt::format("{}: {} pixels of padding is not smaller than the {}x{} images",
                                  options.crop_padding_key, options.augment.crop_padding, height_, width_));
  // Normalisation statistics from the training split only (validation and test unseen), summed
  // in index order (for IDX data the same sums, in the same order, as one pass over the block).
  const size_t per_image = static_cast<size_t>(channels_ * height_ * width_);
  double sum = 0, sum_sq = 0;
  for (int64_t i : indices("train")) {
    const uint8_t* p = pixels_.data() + static_cast<size_t>(i) * per_image;
    for (size_t k = 0; k < per_image; ++k) {
      const double v = p[k] / 255.0;
      sum += v, sum_sq += v * v;
    }
  }
  const double n = static_cast<double>(indices("train").size() * per_image);
  mean_ = sum / n;
  std_ = std::sqrt(std::max(sum_sq / n - mean_ * mean_, 1e-12));
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

namespace {

bool has_idx_files(const std::string& dir) {
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"})
    for (const char* suffix : {"", ".gz"})
      if (std::filesystem::exists(dir + "/" + name + suffix)) return true;
  return false;
}

// Display names for the class folders: data.class_names renames them one for one.
std::vector<std::string> folder_class_names(const ImageFolder& folder, const ImageDataOptions& o) {
  if (o.class_names.empty()) return folder.class_names;
  std::vector<std::string> names = split_list(o.class_names);
  if (names.size() != folder.class_names.size())
    throw ConfigError(fmt::format("{}: {} names, but {} has {} class folders ({}): data.class_names renames the folders "
                                  "for display, one name per folder in their sorted order; \"\" = the folder names",
                                  o.class_names_key, names.size(), o.dir, folder.class_names.size(),
                                  fmt::join(folder.class_names, ", ")));
  return names;
}

ImageDataRead read_folder_data(const ImageDataOptions& o, uint64_t seed) {
  ImageFolderOptions fo;
  fo.height = o.image_height, fo.width = o.image_width, fo.channels = o.channels;  // keys named plainly in notes
  ImageFolder folder = read_image_folder(o.dir, fo);
  std::vector<std::string> names = folder_class_names(folder, o);
  ImageDataRead out;
  std::string layout;
  if (folder.split_layout) {
    if (o.test_examples > 0)
      throw ConfigError(fmt::format("{}: {} test images asked for, but {} has train/: the test images are the ones in "
                                    "{}/test/CLASS/ (test_examples splits a flat folder only)",
                                    o.test_examples_key, o.test_examples, o.dir, o.dir));
    const LabelledImages& train = folder.parts.at("train");
    const bool has_val = folder.parts.count("val") > 0;
    const bool has_test = folder.parts.count("test") > 0 && folder.parts.at("test").count > 0;  // empty: no test split
    const int64_t n_val = has_val ? folder.parts.at("val").count : 0, n_test = has_test ? folder.parts.at("test").count : 0;
    if (has_val && n_val == 0)
      throw std::runtime_error(fmt::format("{}/val has no images: fill it, or remove it to take {} seeded training "
                                           "images (data.val_examples) as validation",
                                           o.dir, o.val_examples));
    std::vector<const LabelledImages*> parts = {&train};
    if (has_val) parts.push_back(&folder.parts.at("val"));
    if (has_test) parts.push_back(&folder.parts.at("test"));
    auto splits = has_val ? consecutive_splits(train.count, n_val, n_test) : seeded_val_splits(train.count, n_test, o);
    layout = fmt::format("layout: image folders {} | val: {} | test: {}", folder.layout,
                         has_val ? "the val/ folder"
                                 : fmt::format("{} training images chosen by data.split_seed {}", o.val_examples,
                                               o.split_seed),
                         has_test                     ? "the test/ folder"
                         : folder.parts.count("test") ? "none (test/ has no images)"
                                                      : "none (no test/ folder)");
    out.data = std::make_shared<ImageClassificationDataset>(concatenate(parts), std::move(splits), std::move(names), o,
                                                            seed);
  } else {
    LabelledImages& all = folder.parts.at("all");
    if (o.val_examples + o.test_examples >= all.count)
      throw ConfigError(fmt::format("{} ({}) and {} ({}) leave no training images of the {} in {}", o.val_examples_key,
                                    o.val_examples, o.test_examples_key, o.test_examples, all.count, o.dir));
    auto splits = split_by_counts(all.count, o.val_examples, o.test_examples, static_cast<uint64_t>(o.split_seed));
    layout = fmt::format("layout: image folders {} (no train/) | a seeded split (data.split_seed {}): {} val, {} test "
                         "images",
                         folder.layout, o.split_seed, o.val_examples, o.test_examples);
    out.data = std::make_shared<ImageClassificationDataset>(std::move(all), std::move(splits), std::move(names), o, seed);
  }
  out.notes.push_back(layout);
  out.notes.insert(out.notes.end(), folder.notes.begin(), folder.notes.end());
  return out;
}

}  // namespace

ImageDataRead read_image_data(const ImageDataOptions& o, uint64_t seed) {
  ImageDataRead out;
  if (has_idx_files(o.dir)) {
    // IDX images are read as they are: the image-folder keys would do nothing.
    for (const auto& [set, key] : {std::pair{o.test_examples > 0, o.test_examples_key},
                                   std::pair{!o.image_size.empty(), o.image_size_key},
                                   std::pair{o.channels != 0, o.channels_key}})
      if (set)
        throw ConfigError(fmt::format("{}: applies to image folders, but {} holds IDX files, which are read as they are "
                                      "(test: the t10k files)",
                                      key, o.dir));
    out.data = std::make_shared<ImageClassificationDataset>(read_labelled_images(o.dir, "train"),
                                                            read_labelled_images(o.dir, "t10k"), o, seed);
    out.notes.push_back(fmt::format("layout: IDX files in {} | val: the last {} training images | test: the t10k files",
                                    o.dir, o.val_examples));
    return out;
  }
  if (has_subfolders(o.dir)) return read_folder_data(o, seed);
  if (std::filesystem::exists(o.dir) && !std::filesystem::is_directory(o.dir))
    throw std::runtime_error(fmt::format("{}: {} is a file; data.dir names a folder (of IDX files, or of class folders "
                                         "of images)",
                                         o.dir_key, o.dir));
  if (!std::filesystem::is_directory(o.dir))
    throw std::runtime_error(fmt::format("{}: {} does not exist{}", o.dir_key, o.dir,
                                         o.dir == ImageDataOptions().dir
                                             ? " (for Fashion-MNIST run `apt-get install dataset-fashion-mnist`; "
                                               "scripts/bootstrap.sh does)"
                                             : ""));
  throw std::runtime_error(fmt::format(
      "{}: {} holds neither IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
      "t10k-labels-idx1-ubyte, each plain or .gz) nor image folders ({}/CLASS/*.png|jpg|jpeg, or {}/train/CLASS/* with "
      "optional val/ and test/ beside train/)",
      o.dir_key, o.dir, o.dir, o.dir));
}

}  // namespace attnlab
