// Image data: the IDX reader (good files, bad magic, truncation, mismatched counts), the
// image_classification family's splits, normalisation and epochs, and seeded augmentation.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <set>

#include "datasets/idx_file.h"
#include "datasets/image_augment.h"
#include "datasets/image_classification.h"
#include "test_util.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::image_fixture;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using attnlab::TrainRequest;
using Catch::Matchers::Contains;

namespace {

IdxArray counting_array(std::vector<int64_t> dims) {
  IdxArray a{dims, {}};
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  for (int64_t i = 0; i < n; ++i) a.data.push_back(static_cast<uint8_t>(i * 7 % 256));
  return a;
}

ImageClassificationDataset fixture_dataset(const TempDir& dir, ImageDataOptions o = {}) {
  image_fixture(dir.path(), 60, 20);
  o.dir = dir.path();
  if (o.val_examples == ImageDataOptions().val_examples) o.val_examples = 10;
  return ImageClassificationDataset(read_labelled_images(o.dir, "train"), read_labelled_images(o.dir, "t10k"), o, 7);
}

}  // namespace

TEST_CASE("IDX files round-trip, gzip'd or plain, with their sizes") {
  TempDir dir;
  const IdxArray a = counting_array({3, 4, 5});
  for (const std::string name : {"a.idx", "a.idx.gz"}) {
    write_idx(dir / name, a);
    const IdxArray b = read_idx(dir / name);
    CHECK(b.dims == a.dims);
    CHECK(b.data == a.data);
  }
  // The header by hand: 00 00 08 03, then 3, 4, 5 as big-endian 32-bit integers.
  const std::string raw = attnlab::testing::read_text(dir / "a.idx");
  REQUIRE(raw.size() == 4 + 12 + 60);
  CHECK(raw.substr(0, 8) == std::string("\0\0\x08\x03\0\0\0\x03", 8));
  CHECK(static_cast<uint8_t>(raw[16 + 59]) == 59 * 7 % 256);
}

TEST_CASE("IDX reader: bad magic, another element type, truncated data and extra bytes name the file") {
  TempDir dir;
  write_idx(dir / "good.idx", counting_array({10, 2, 2}));
  const std::string good = attnlab::testing::read_text(dir / "good.idx");

  write_text(dir / "magic.idx", "\x12\x34" + good.substr(2));
  CHECK_THROWS_WITH(read_idx(dir / "magic.idx"), Contains(dir / "magic.idx") && Contains("not an IDX file"));
  write_text(dir / "float.idx", good.substr(0, 2) + "\x0d" + good.substr(3));
  CHECK_THROWS_WITH(read_idx(dir / "float.idx"), Contains("element type 0x0d is not supported"));
  write_text(dir / "short.idx", good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH(read_idx(dir / "short.idx"),
                    Contains(dir / "short.idx") && Contains("truncated: the header declares 40 bytes of data, the file has 35"));
  write_text(dir / "header.idx", good.substr(0, 9));
  CHECK_THROWS_WITH(read_idx(dir / "header.idx"), Contains("truncated: the header's sizes are cut short"));
  write_text(dir / "long.idx", good + "x");
  CHECK_THROWS_WITH(read_idx(dir / "long.idx"), Contains("has bytes after the 40 bytes of data"));
  CHECK_THROWS_WITH(read_idx(dir / "missing.idx"), Contains(dir / "missing.idx") && Contains("no such file"));

  // A gzip'd file cut short is refused too, naming the file.
  write_idx(dir / "good.idx.gz", counting_array({100, 8, 8}));
  const std::string gz = attnlab::testing::read_text(dir / "good.idx.gz");
  write_text(dir / "cut.idx.gz", gz.substr(0, gz.size() / 2));
  CHECK_THROWS_WITH(read_idx(dir / "cut.idx.gz"), Contains(dir / "cut.idx.gz"));
}

TEST_CASE("image files: a wrong label count, a missing directory and a missing file are clear errors") {
  TempDir dir;
  image_fixture(dir.path(), 30, 10);
  write_idx(dir / "t10k-labels-idx1-ubyte.gz", counting_array({9}));
  CHECK_THROWS_WITH(read_labelled_images(dir.path(), "t10k"),
                    Contains("t10k-labels-idx1-ubyte.gz has 9 labels for the 10 images of"));
  CHECK_THROWS_WITH(read_labelled_images(dir / "nowhere", "train"),
                    Contains("does not exist") && Contains("apt-get install dataset-fashion-mnist"));
  std::filesystem::remove(dir / "train-labels-idx1-ubyte.gz");
  CHECK_THROWS_WITH(read_labelled_images(dir.path(), "train"),
                    Contains("has no train-labels-idx1-ubyte[.gz]") && Contains("apt-get install dataset-fashion-mnist"));
  write_idx(dir / "train-labels-idx1-ubyte", counting_array({30}));  // uncompressed files are read too
  CHECK(read_labelled_images(dir.path(), "train").labels.size() == 30);
}

TEST_CASE("image_classification: the last training images are val, t10k is test, labels are checked") {
  TempDir dir;
  const auto data = fixture_dataset(dir);
  CHECK(data.num_examples("train") == 50);
  CHECK(data.num_examples("val") == 10);
  CHECK(data.num_examples("test") == 20);
  CHECK(data.class_counts("train") == std::vector<int64_t>(10, 5));
  CHECK(data.class_names().at(9) == "Ankle boot");

  // Normalisation: the training pixels' mean and std, by hand.
  const auto train = read_labelled_images(dir.path(), "train");
  double sum = 0, sq = 0;
  const size_t n = 50 * 28 * 28;
  for (size_t i = 0; i < n; ++i) sum += train.pixels[i] / 255.0, sq += (train.pixels[i] / 255.0) * (train.pixels[i] / 255.0);
  const double mean = sum / n, std = std::sqrt(sq / n - mean * mean);
  CHECK(data.pixel_mean() == Approx(mean).epsilon(1e-9));
  CHECK(data.pixel_std() == Approx(std).epsilon(1e-9));
  const Batch b = data.examples("val", 0, 3);  // val image 0 is training image 50
  CHECK(b.at("input").sizes() == torch::IntArrayRef({3, 1, 28, 28}));
  CHECK(b.at("input")[0][0][5][6].item<double>() == Approx((train.pixels[50 * 784 + 5 * 28 + 6] / 255.0 - mean) / std));
  CHECK(b.at("label")[0].item<int64_t>() == 0);  // 50 % 10

  ImageDataOptions few;
  few.class_names = "a, b, c";
  CHECK_THROWS_WITH(fixture_dataset(dir, few),
                    Contains("data.class_names: 3 names, but label 3 of training image 3 in " + dir.path() +
                             " needs one more"));
  // One name too many would build an 11-way head for 10 classes.
  ImageDataOptions extra;
  extra.class_names = "a, b, c, d, e, f, g, h, i, j, k";
  CHECK_THROWS_WITH(fixture_dataset(dir, extra),
                    Contains("data.class_names: 11 names, but the labels of " + dir.path() + " are 0..9 (10 classes)"));
  // The random crop's padding must leave part of the 28x28 image.
  ImageDataOptions padded;
  padded.augment.crop_padding = 28;
  CHECK_THROWS_WITH(fixture_dataset(dir, padded),
                    Contains("data.crop_padding: 28 pixels of padding is not smaller than the 28x28 images"));
  padded.augment.crop_padding = 27;
  CHECK_NOTHROW(fixture_dataset(dir, padded));
  ImageDataOptions all_val;
  all_val.val_examples = 60;
  CHECK_THROWS_WITH(fixture_dataset(dir, all_val), Contains("data.val_examples: 60 leaves no training images of the 60"));
}

TEST_CASE("image_classification: training batches walk epochs, each image once, in a seeded order") {
  TempDir dir;
  const auto data = fixture_dataset(dir);
  std::mt19937_64 rng(1);
  std::multiset<int64_t> seen_labels;
  std::vector<torch::Tensor> first_epoch;
  for (int64_t draw = 0; draw < 5; ++draw) {  // 50 images, batches of 10: one epoch
    const Batch b = data.sample("train", 10, rng, draw);
    for (int64_t i = 0; i < 10; ++i) seen_labels.insert(b.at("label")[i].item<int64_t>());
    first_epoch.push_back(b.at("label"));
  }
  for (int64_t c = 0; c < 10; ++c) CHECK(seen_labels.count(c) == 5);  // every training image once
  // Epoch 1 has another order; the same draw gives the same images again.
  CHECK(data.epoch_order("train", 0) != data.epoch_order("train", 1));
  std::vector<int64_t> sorted = data.epoch_order("train", 1);
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == data.indices("train"));
  CHECK(torch::equal(data.sample("train", 10, rng, 2).at("label"), first_epoch[2]));
}

TEST_CASE("augmentation: a seeded crop-and-flip that keeps the label and moves the pixels as drawn") {
  // The transform by hand on a 1x3x3 image: shift down-right by one, then flipped.
  const uint8_t in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  uint8_t out[9];
  apply_transform(in, out, 1, 3, 3, {1, 1, false});  // out(y, x) = in(y + 1, x + 1)
  CHECK(std::vector<uint8_t>(out, out + 9) == std::vector<uint8_t>{5, 6, 0, 8, 9, 0, 0, 0, 0});
  apply_transform(in, out, 1, 3, 3, {0, -1, true});  // out(y, x) = in(y, 2 - x - 1)
  CHECK(std::vector<uint8_t>(out, out + 9) == std::vector<uint8_t>{2, 1, 0, 5, 4, 0, 8, 7, 0});

  ImageAugmentOptions o{2, true};
  std::mt19937_64 a(5), b(5);
  std::set<int64_t> shifts;
  int flips = 0;
  for (int i = 0; i < 200; ++i) {
    const ImageTransform t = draw_transform(o, 28, 28, a), u = draw_transform(o, 28, 28, b);
    CHECK((t.dy == u.dy && t.dx == u.dx && t.flip == u.flip));
    CHECK((std::abs(t.dy) <= 2 && std::abs(t.dx) <= 2));
    shifts.insert(t.dy), flips += t.flip;
  }
  CHECK(shifts.size() == 5);  // every shift in [-2, 2] occurs
  CHECK((flips > 60 && flips < 140));

  // Through the dataset: the same generator gives the same batch; labels are the plain batch's.
  TempDir dir;
  ImageDataOptions aug;
  aug.augment = o;
  const auto data = fixture_dataset(dir, aug);
  ImageDataOptions none_options;
  TempDir dir2;
  const auto plain = fixture_dataset(dir2, none_options);
  std::mt19937_64 r1(42), r2(42), r3(43);
  const Batch x = data.sample("train", 16, r1, 3), y = data.sample("train", 16, r2, 3);
  const Batch z = data.sample("train", 16, r3, 3), p = plain.sample("train", 16, r1, 3);
  CHECK(torch::equal(x.at("input"), y.at("input")));
  CHECK_FALSE(torch::equal(x.at("input"), z.at("input")));
  CHECK(torch::equal(x.at("label"), p.at("label")));
  CHECK_FALSE(torch::equal(x.at("input"), p.at("input")));
}

TEST_CASE("augmentation: random erasing zeroes a drawn rectangle of 2%-33% of the image, aspect 0.3-3.3") {
  // By hand on a 1x3x3 image: rows 1-2 of column 0 erased, after the shift and flip.
  const uint8_t in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  uint8_t out[9];
  ImageTransform t;
  t.erase_y = 1, t.erase_x = 0, t.erase_height = 2, t.erase_width = 1;
  apply_transform(in, out, 1, 3, 3, t);
  CHECK(std::vector<uint8_t>(out, out + 9) == std::vector<uint8_t>{1, 2, 3, 0, 5, 6, 0, 8, 9});
  t.flip = true;  // the rectangle is in the output's coordinates
  apply_transform(in, out, 1, 3, 3, t);
  CHECK(std::vector<uint8_t>(out, out + 9) == std::vector<uint8_t>{3, 2, 1, 0, 5, 4, 0, 8, 7});

  ImageAugmentOptions o{2, true, 0.5};
  const ImageAugmentOptions without{2, true, 0.0};
  std::mt19937_64 a(7), b(7), c(7);
  // The shift and flip are drawn first, the same with or without erasing.
  const ImageTransform first = draw_transform(o, 28, 28, a), plain = draw_transform(without, 28, 28, b);
  CHECK((first.dy == plain.dy && first.dx == plain.dx && first.flip == plain.flip));
  int erased = 0;
  for (int i = 0; i < 1000; ++i) {
    const ImageTransform e = draw_transform(o, 28, 28, c);
    if (e.erase_height == 0) {
      CHECK(e.erase_width == 0);
      continue;
    }
    ++erased;
    CHECK((e.erase_y >= 0 && e.erase_x >= 0 && e.erase_y + e.erase_height <= 28 && e.erase_x + e.erase_width <= 28));
    // Rounding each side to whole pixels moves the area and aspect a little past the bounds.
    const double area = static_cast<double>(e.erase_height * e.erase_width) / (28.0 * 28.0);
    const double aspect = static_cast<double>(e.erase_height) / static_cast<double>(e.erase_width);
    CHECK((area > 0.01 && area < 0.40));
    CHECK((aspect > 0.25 && aspect < 4.0));
  }
  CHECK((erased > 430 && erased < 570));  // half of 1,000 draws, within 4.5 standard deviations
  o.random_erasing = 1.0;
  for (int i = 0; i < 100; ++i) CHECK(draw_transform(o, 28, 28, c).erase_height > 0);
}

TEST_CASE("image_classification: resuming mid-epoch replays the same images and augmentations (exact resume)") {
  TempDir dir;
  image_fixture(dir / "images", 60, 10);
  auto request = [&](const std::string& name, int64_t steps) {
    TrainRequest req;
    req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/vit/fashion_mnist_tiny.yaml";
    req.overrides = {"experiment.out_dir=" + dir.path(), "experiment.name=" + name,
                     "data.dir=" + (dir / "images"),  "data.crop_padding=2",  // augmentation drawn from the checkpointed generator
                     "trainer.log_interval=1",         "trainer.max_iters=" + std::to_string(steps),
                     "trainer.eval_interval=5",        "trainer.checkpoint_interval=5"};
    return req;
  };
  train(request("straight", 10));
  train(request("resumed", 5));  // 44 training images, batches of 16: 2 per epoch, stops inside the third
  REQUIRE(train({"", dir / "resumed", {"trainer.max_iters=10"}}).step == 10);
  const auto a = attnlab::testing::training_losses(dir / "straight");
  const auto b = attnlab::testing::training_losses(dir / "resumed");
  REQUIRE(a.size() == 10);
  REQUIRE(b.size() == 10);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-6));
}
