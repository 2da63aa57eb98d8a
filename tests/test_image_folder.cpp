// Image folders (data.type: image_classification reading DIR/CLASS/*.png|jpg|jpeg): class
// names, reading order and splits, sizes and channels, the shipped sample and its config, and
// batches identical to the IDX reader's on the same images. Decoding: test_image_file.cpp.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <filesystem>

#include "core/config/loader.h"
#include "datasets/idx_file.h"
#include "datasets/image_classification.h"
#include "datasets/image_file.h"
#include "datasets/image_folder.h"
#include "datasets/image_resize.h"
#include "datasets/verse_corpus.h"
#include "image_fixtures.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::error_of;
using attnlab::testing::image_fixture;
using attnlab::testing::read_text;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
using namespace attnlab::testing;


TEST_CASE("image folder: class names in byte order, reading order by file name then class, train/val/test folders") {
  TempDir dir;
  const std::string d = dir.path();
  // Classes B < a < c in byte order: labels 0, 1, 2. Each image a constant of its own.
  write_png_file(d + "/train/B/1.png", constant(4, 4, 1, 11), 4, 4);
  write_png_file(d + "/train/B/3.png", constant(4, 4, 1, 13), 4, 4);
  write_png_file(d + "/train/a/2.png", constant(4, 4, 1, 22), 4, 4);
  write_png_file(d + "/train/a/10.PNG", constant(4, 4, 1, 30), 4, 4);  // extensions in any case
  write_jpeg_file(d + "/train/a/1.jpeg", constant(4, 4, 1, 120), 4, 4, 1);
  write_png_file(d + "/train/c/3.png", constant(4, 4, 1, 33), 4, 4);
  write_text(d + "/train/a/notes.txt", "not an image");
  write_png_file(d + "/train/a/sub/9.png", constant(4, 4, 1, 99), 4, 4);  // class folders are not searched deeper
  write_text(d + "/train/README", "about");
  write_text(d + "/train/c/.DS_Store", "");
  write_png_file(d + "/val/B/v.png", constant(4, 4, 1, 41), 4, 4);
  write_png_file(d + "/val/c/v.png", constant(4, 4, 1, 43), 4, 4);
  std::filesystem::create_directories(d + "/val/a");  // empty: allowed outside train/
  write_png_file(d + "/test/B/t.png", constant(4, 4, 1, 51), 4, 4);
  write_png_file(d + "/test/a/t.png", constant(4, 4, 1, 52), 4, 4);
  std::filesystem::create_directories(d + "/test/c");

  const ImageFolder f = read_image_folder(d);
  CHECK(f.split_layout);
  CHECK(f.class_names == std::vector<std::string>{"B", "a", "c"});
  CHECK(f.layout == d + "/{train,val,test}/CLASS/*");
  // By file name in byte order ("1.jpeg" < "1.png" < "10.PNG" < "2.png" < "3.png"), then class.
  const LabelledImages& train = f.parts.at("train");
  REQUIRE(train.count == 6);
  CHECK(train.labels == std::vector<int64_t>{1, 0, 1, 1, 0, 2});
  CHECK(std::abs(first_pixel(train, 0) - 120) <= 2);  // the JPEG
  for (auto [i, v] : std::vector<std::pair<int, int>>{{1, 11}, {2, 30}, {3, 22}, {4, 13}, {5, 33}})
    CHECK(first_pixel(train, i) == v);
  CHECK(f.parts.at("val").labels == std::vector<int64_t>{0, 2});
  CHECK(f.parts.at("test").labels == std::vector<int64_t>{0, 1});
  CHECK(first_pixel(f.parts.at("test"), 1) == 52);
  const std::string notes = joined(f.notes);
  CHECK_THAT(notes, Contains("images: 10 files read (1 JPEG, 9 PNG)"));
  CHECK_THAT(notes, Contains("skipped 4 entries") && Contains("1 .txt file") && Contains("1 subfolder of a class folder") &&
                        Contains("1 file outside a class folder") && Contains("1 hidden entry"));

  // As a dataset: the val/ folder is val (data.val_examples unused), test/ is test.
  const ImageDataRead read = read_image_data(folder_options(d, 3), 7);
  CHECK(read.data->num_examples("train") == 6);
  CHECK(read.data->num_examples("val") == 2);
  CHECK(read.data->num_examples("test") == 2);
  CHECK(read.data->class_names() == f.class_names);
  CHECK(read.data->class_counts("train") == std::vector<int64_t>{2, 3, 1});
  CHECK_THAT(read.notes.at(0), Contains("val: the val/ folder") && Contains("test: the test/ folder"));
  CHECK(torch::equal(read.data->examples("val", 0, 2).at("label"), torch::tensor({0, 2}, torch::kInt64)));

  // An empty val/ is refused (the trainer needs a validation split).
  std::filesystem::remove_all(d + "/val");
  std::filesystem::create_directories(d + "/val/B"), std::filesystem::create_directories(d + "/val/a"),
      std::filesystem::create_directories(d + "/val/c");
  CHECK_THROWS_WITH(read_image_data(folder_options(d, 3), 7), Contains(d + "/val has no images"));
}

TEST_CASE("image folder: train/ alone has no test split, a seeded val_examples of its images are val") {
  TempDir dir;
  flat_fixture(dir / "train", 4);  // 12 images: 00(a) 00(b) 00(c) 01(a) ...
  const ImageDataRead read = read_image_data(folder_options(dir.path(), 3), 7);
  const auto& data = *read.data;
  CHECK(data.splits() == std::vector<std::string>{"train", "val"});
  CHECK_FALSE(data.has_split("test"));
  CHECK_THROWS_WITH(data.num_examples("test"), Contains("no split 'test'"));
  CHECK(data.num_examples("train") == 9);
  // val: split_by_counts' choice over the reading order (image i is file i / 3 of class i % 3),
  // not the last images, which a folder whose names sort by class would fill with one class.
  const auto chosen = split_by_counts(12, 3, 0, 1234).at("val");
  const Batch val = data.examples("val", 0, 3);
  const double mean = data.pixel_mean(), std = data.pixel_std();
  for (int64_t k = 0; k < 3; ++k) {
    const int64_t i = chosen[static_cast<size_t>(k)];
    CHECK(val.at("label")[k].item<int64_t>() == i % 3);
    CHECK(val.at("input")[k][0][0][0].item<double>() == Approx(((10 * (i / 3) + i % 3) / 255.0 - mean) / std));
  }
  CHECK_THAT(read.notes.at(0), Contains("val: 3 training images chosen by data.split_seed 1234") &&
                                   Contains("test: none (no test/ folder)"));
  CHECK_THROWS_WITH(read_image_data(folder_options(dir.path(), 12), 7), Contains("data.val_examples: 12 leaves no training images of the 12"));
  ImageDataOptions with_test = folder_options(dir.path(), 3);
  with_test.test_examples = 2;
  CHECK_THROWS_WITH(read_image_data(with_test, 7), Contains("data.test_examples: 2 test images asked for") &&
                                                       Contains("test_examples splits a flat folder only"));
}

TEST_CASE("image folder: a flat folder is split by counts with data.split_seed") {
  TempDir dir;
  flat_fixture(dir.path(), 10);  // 30 images
  ImageDataOptions o = folder_options(dir.path(), 5);
  o.test_examples = 4, o.split_seed = 1;
  const ImageDataRead a = read_image_data(o, 7), b = read_image_data(o, 99);
  CHECK(a.data->num_examples("train") == 21);
  CHECK(a.data->num_examples("val") == 5);
  CHECK(a.data->num_examples("test") == 4);
  CHECK_THAT(a.notes.at(0), Contains("(no train/)") && Contains("data.split_seed 1"));
  // The split is split_by_counts' over the reading order: image i is file i / 3 of class i % 3.
  const auto splits = split_by_counts(30, 5, 4, 1);
  for (const std::string split : {"val", "test"}) {
    const Batch x = a.data->examples(split, 0, a.data->num_examples(split));
    for (size_t j = 0; j < splits.at(split).size(); ++j) {
      const int64_t i = splits.at(split)[j];
      CHECK(x.at("label")[static_cast<int64_t>(j)].item<int64_t>() == i % 3);
      const double v = x.at("input")[static_cast<int64_t>(j)][0][0][0].item<double>() * a.data->pixel_std() + a.data->pixel_mean();
      CHECK(v * 255.0 == Approx(static_cast<double>(10 * (i / 3) + i % 3)).margin(1e-6));
    }
    // The same seed, the same split (the experiment seed plays no part).
    CHECK(torch::equal(x.at("input"), b.data->examples(split, 0, b.data->num_examples(split)).at("input")));
  }
  o.split_seed = 2;
  const ImageDataRead c = read_image_data(o, 7);
  CHECK(c.data->num_examples("val") == 5);
  CHECK_FALSE(torch::equal(a.data->examples("val", 0, 5).at("input"), c.data->examples("val", 0, 5).at("input")));
  o.test_examples = 0;
  CHECK(read_image_data(o, 7).data->splits() == std::vector<std::string>{"train", "val"});
  o.val_examples = 20, o.test_examples = 10;
  CHECK_THROWS_WITH(read_image_data(o, 7), Contains("data.val_examples (20) and data.test_examples (10) leave no "
                                                    "training images of the 30 in " + dir.path()));
}

TEST_CASE("image folder channels: auto, gray repeated to 3, colour to BT.601 luma with data.channels 1") {
  TempDir dir;
  const Pixels rgb = {200, 100, 50, 0, 0, 0, 255, 255, 255, 10, 20, 30};  // 2x2
  write_png_file(dir / "a/1.png", constant(2, 2, 1, 77), 2, 2);
  write_png_file(dir / "a/2.png", constant(2, 2, 1, 78), 2, 2);
  write_png_file(dir / "b/1.png", rgb, 2, 2, PNG_FORMAT_RGB);
  write_png_file(dir / "b/2.png", constant(2, 2, 1, 79), 2, 2);
  // Auto: one colour image makes every image 3 channels; gray ones as 3 equal planes.
  ImageFolder f = read_image_folder(dir.path());
  const LabelledImages& all = f.parts.at("all");
  REQUIRE(all.channels == 3);
  REQUIRE(all.labels == std::vector<int64_t>{0, 1, 0, 1});  // 1.png (a, b), 2.png (a, b)
  CHECK(Pixels(all.pixels.begin(), all.pixels.begin() + 12) == constant(2, 2, 3, 77));
  CHECK(Pixels(all.pixels.begin() + 12, all.pixels.begin() + 24) ==
        Pixels({200, 0, 255, 10, 100, 0, 255, 20, 50, 0, 255, 30}));  // planar R, G, B
  // The first colour file is named: a stray colour image in a gray set is found at once.
  CHECK_THAT(joined(f.notes), Contains("channels: 3 (auto: 1 of the 4 images are colour, the first " + (dir / "b/1.png") +
                                       "; data.channels: 1 reads them as gray); 3 grayscale images repeated"));
  // data.channels 1: colour made gray by BT.601 luma.
  ImageFolderOptions one;
  one.channels = 1;
  f = read_image_folder(dir.path(), one);
  CHECK(f.parts.at("all").channels == 1);
  CHECK(Pixels(f.parts.at("all").pixels.begin() + 4, f.parts.at("all").pixels.begin() + 8) ==
        Pixels({124, 0, 255, luma_bt601(10, 20, 30)}));
  CHECK_THAT(joined(f.notes), Contains("channels: 1 (data.channels); 1 colour images made gray (BT.601 luma)"));
  // Every image gray: auto is 1 channel; data.channels 3 repeats it.
  std::filesystem::remove(dir / "b/1.png");
  CHECK(read_image_folder(dir.path()).parts.at("all").channels == 1);
  ImageFolderOptions three;
  three.channels = 3;
  f = read_image_folder(dir.path(), three);
  CHECK(f.parts.at("all").channels == 3);
  CHECK(Pixels(f.parts.at("all").pixels.begin() + 12, f.parts.at("all").pixels.begin() + 24) == constant(2, 2, 3, 78));
}

TEST_CASE("image sizes: another size is refused naming both files, data.image_size resizes") {
  TempDir dir;
  write_png_file(dir / "train/a/1.png", gradient(4, 4, 1, 0), 4, 4);
  write_png_file(dir / "train/a/2.png", constant(6, 5, 1, 77), 6, 5);
  write_png_file(dir / "train/b/3.png", constant(2, 3, 1, 200), 2, 3);
  CHECK_THROWS_WITH(read_image_folder(dir.path()),
                    Contains(dir / "train/a/2.png") && Contains("is 6x5 (height x width)") &&
                        Contains("the first image read, " + (dir / "train/a/1.png") + ", is 4x4") &&
                        Contains("set data.image_size"));
  ImageFolderOptions o;
  o.height = 4, o.width = 4;
  const ImageFolder f = read_image_folder(dir.path(), o);
  const LabelledImages& train = f.parts.at("train");
  CHECK((train.height == 4 && train.width == 4 && train.count == 3));
  CHECK(Pixels(train.pixels.begin(), train.pixels.begin() + 16) == gradient(4, 4, 1, 0));  // already 4x4: untouched
  CHECK(Pixels(train.pixels.begin() + 16, train.pixels.begin() + 32) == constant(4, 4, 1, 77));  // shrunk, constant
  CHECK(Pixels(train.pixels.begin() + 32, train.pixels.end()) == constant(4, 4, 1, 200));  // enlarged, constant
  CHECK_THAT(joined(f.notes), Contains("size: 4x4 (data.image_size): 2 of the 3 images resized"));

  // The resize is torch's bilinear interpolate with antialias (PIL's), rounded.
  Pixels px(13 * 11 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + i * i / 7) % 256);
  const auto hwc = torch::from_blob(px.data(), {13, 11, 3}, torch::kUInt8).to(torch::kDouble).permute({2, 0, 1}).unsqueeze(0);
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{5, 7}, {20, 17}, {13, 4}}) {
    namespace F = torch::nn::functional;
    const auto want = F::interpolate(hwc, F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{h, w})
                                              .mode(torch::kBilinear)
                                              .align_corners(false)
                                              .antialias(true))
                          .squeeze(0).permute({1, 2, 0}).round().clamp(0, 255).to(torch::kUInt8).contiguous();
    const Pixels got = resize_bilinear(px, 13, 11, 3, h, w);
    const auto diff = (torch::from_blob(const_cast<uint8_t*>(got.data()), {h, w, 3}, torch::kUInt8).to(torch::kInt) -
                       want.to(torch::kInt)).abs();
    CHECK(diff.max().item<int>() == 0);  // the layout (H x W x C) and the rounding are right
  }
}

TEST_CASE("image folder: class folders must agree across splits, and other layouts are refused") {
  TempDir dir;
  const std::string d = dir.path();
  for (const char* path : {"/train/a/1.png", "/train/b/1.png", "/train/c/1.png", "/test/a/1.png", "/test/c/1.png"})
    write_png_file(d + path, constant(2, 2, 1, 1), 2, 2);
  CHECK_THROWS_WITH(read_image_folder(d), Contains(d + "/test has no class folder 'b', which train/ has"));
  write_png_file(d + "/test/b/1.png", constant(2, 2, 1, 1), 2, 2);
  write_png_file(d + "/test/d/1.png", constant(2, 2, 1, 1), 2, 2);
  CHECK_THROWS_WITH(read_image_folder(d), Contains(d + "/test/d is a class folder that train/ does not have"));
  std::filesystem::remove_all(d + "/test/d");
  CHECK_NOTHROW(read_image_folder(d));
  std::filesystem::create_directories(d + "/validation/a");
  CHECK_THROWS_WITH(read_image_folder(d), Contains("has train/ and also the folder 'validation'"));
  std::filesystem::remove_all(d + "/validation");
  std::filesystem::create_directories(d + "/train/e");
  CHECK_THROWS_WITH(read_image_folder(d), Contains("class folder " + d + "/train/e has no images"));

  // data.dir with neither IDX files nor folders says both layouts; IDX files refuse the folder keys.
  TempDir empty;
  write_text(empty / "notes.txt", "x");
  ImageDataOptions o = folder_options(empty.path(), 1);
  CHECK_THROWS_WITH(read_image_data(o, 7), Contains("holds neither IDX files (train-images-idx3-ubyte") &&
                                               Contains("/CLASS/*.png|jpg|jpeg, or ") && Contains("/train/CLASS/*"));
  o.dir = empty / "nowhere";  // a folder of one's own: no Fashion-MNIST advice
  CHECK_THROWS_WITH(read_image_data(o, 7), Contains("does not exist") && !Contains("apt-get"));
  o.dir = empty / "notes.txt";
  CHECK_THROWS_WITH(read_image_data(o, 7), Contains("notes.txt is a file; data.dir names a folder"));
  TempDir idx;
  image_fixture(idx.path(), 30, 10);
  o = folder_options(idx.path(), 5);
  o.image_size = "8x8", o.image_height = o.image_width = 8;
  CHECK_THROWS_WITH(read_image_data(o, 7), Contains("data.image_size: applies to image folders, but " + idx.path() + " holds IDX files"));
  o = folder_options(idx.path(), 5);
  o.channels = 3;
  CHECK_THROWS_WITH(read_image_data(o, 7), Contains("data.channels: applies to image folders"));
  o.channels = 0;
  CHECK(read_image_data(o, 7).data->num_examples("test") == 10);
}

TEST_CASE("image folder: the PNG folders of IDX images give the IDX reader's batches, bit for bit") {
  TempDir dir;
  image_fixture(dir / "idx", 60, 20);
  // The layout scripts/fashion_mnist_to_png.py writes: SPLIT/<label>_<name>/<index:05d>.png.
  for (auto [prefix, split] : {std::pair{"train", "train"}, std::pair{"t10k", "test"}}) {
    const IdxArray images = read_idx(dir / ("idx/" + std::string(prefix) + "-images-idx3-ubyte.gz"));
    const IdxArray labels = read_idx(dir / ("idx/" + std::string(prefix) + "-labels-idx1-ubyte.gz"));
    for (int64_t i = 0; i < images.dims[0]; ++i) {
      char name[64];
      // The last 10 training images in val/, as data.val_examples: 10 takes them from the IDX files.
      std::snprintf(name, sizeof name, "%s/%d_%c/%05d.png",
                    std::string(split) == "train" && i >= 50 ? "val" : split, labels.data[static_cast<size_t>(i)],
                    'a' + labels.data[static_cast<size_t>(i)], static_cast<int>(i));
      write_png_file(dir / ("png/" + std::string(name)),
                     Pixels(images.data.begin() + i * 784, images.data.begin() + (i + 1) * 784), 28, 28);
    }
  }
  // And the script itself on the same IDX files.
  const auto script = attnlab::testing::run_command(std::string(ATTNLAB_PYTHON) + " " + ATTNLAB_SOURCE_DIR +
                                                        "/scripts/fashion_mnist_to_png.py --src " + (dir / "idx") +
                                                        " --out " + (dir / "script") + " --val 10",
                                                    dir);
  REQUIRE(script.status == 0);
  CHECK_THAT(script.out, Contains("wrote 50 28x28 grayscale PNGs to " + (dir / "script/train") + "/ (10 class folders"));
  CHECK_THAT(script.out, Contains("wrote 10 28x28 grayscale PNGs to " + (dir / "script/val") + "/ (10 class folders"));
  CHECK(std::filesystem::exists(dir / "script/test/9_Ankle_boot/00019.png"));

  ImageDataOptions o = folder_options(dir / "idx", 10);
  o.augment.crop_padding = 2, o.augment.hflip = true, o.augment.random_erasing = 0.5;  // augmentation drawn alike
  const auto from_idx = read_image_data(o, 7).data;
  for (const std::string folder : {"png", "script"}) {
    o.dir = dir / folder;
    const ImageDataRead read = read_image_data(o, 7);
    const auto& from_png = *read.data;
    CHECK_THAT(read.notes.at(0), Contains("val: the val/ folder"));
    CHECK(from_png.pixel_mean() == from_idx->pixel_mean());
    CHECK(from_png.pixel_std() == from_idx->pixel_std());
    CHECK(from_png.splits() == from_idx->splits());
    for (const std::string split : {"train", "val", "test"}) {
      const int64_t n = from_idx->num_examples(split);
      REQUIRE(from_png.num_examples(split) == n);
      const Batch a = from_idx->examples(split, 0, n), b = from_png.examples(split, 0, n);
      CHECK(torch::equal(a.at("input"), b.at("input")));
      CHECK(torch::equal(a.at("label"), b.at("label")));
      const Batch e = from_idx->eval_batch(split, 1, 3, 4), f = from_png.eval_batch(split, 1, 3, 4);
      CHECK(torch::equal(e.at("input"), f.at("input")));
    }
    std::mt19937_64 r1(5), r2(5);
    for (int64_t draw = 0; draw < 8; ++draw) {  // past an epoch of 50: a second shuffle
      const Batch a = from_idx->sample("train", 16, r1, draw), b = from_png.sample("train", 16, r2, draw);
      CHECK(torch::equal(a.at("input"), b.at("input")));
      CHECK(torch::equal(a.at("label"), b.at("label")));
    }
  }
}

TEST_CASE("image folder: the shipped sample through configs/vit/image_folder_example.yaml") {
  const ImageFolder f = read_image_folder(examples_dir());
  CHECK(f.class_names == std::vector<std::string>{"circle", "cross", "square"});
  CHECK(f.parts.at("train").count == 30);
  CHECK(f.parts.at("test").count == 12);
  CHECK((f.parts.at("train").height == 8 && f.parts.at("train").width == 8 && f.parts.at("train").channels == 1));
  CHECK_THAT(joined(f.notes), Contains("images: 42 files read (21 JPEG, 21 PNG)"));

  TempDir dir;
  const std::string config = std::string(ATTNLAB_SOURCE_DIR) + "/configs/vit/image_folder_example.yaml";
  auto read = [&](std::vector<std::string> overrides) {
    overrides.push_back("data.dir=" + examples_dir());
    overrides.push_back("experiment.out_dir=" + dir.path());
    return Experiment::read(load_config(config, overrides));
  };
  const Assembled a = assemble(read({}), dir / "run", false, torch::kCPU);
  const std::string report = joined(a.data.report);
  CHECK_THAT(report, Contains("24 train / 6 val / 12 test images of 1x8x8, 3 classes"));
  CHECK_THAT(report, Contains("class names: 0=circle, 1=cross, 2=square"));
  CHECK_THAT(report, Contains("layout: image folders " + examples_dir() + "/{train,test}/CLASS/*"));
  CHECK_THAT(report, Contains("classes (test): 0=4 1=4 2=4"));
  CHECK(a.data.context.image_channels == 1);
  const Batch b = a.data.source->examples("test", 0, 4);
  CHECK(a.model.task->compute(b).loss.defined());  // the config's ViT takes the images

  // Resized and made 3 channels; display names; wrong keys named.
  const BuiltData big = build_data(read({"data.image_size=16x12", "data.channels=3", "data.class_names=o, x, s"}), dir / "r2", false);
  CHECK((big.context.image_channels == 3 && big.context.image_height == 16 && big.context.image_width == 12));
  CHECK(big.context.class_names == std::vector<std::string>{"o", "x", "s"});
  CHECK_THAT(joined(big.report), Contains("42 of the 42 images resized") && Contains("42 grayscale images repeated"));
  CHECK_THAT(error_of([&] { build_data(read({"data.class_names=a, b"}), dir / "r3", false); }),
             Contains("data.class_names: 2 names, but " + examples_dir() + " has 3 class folders (circle, cross, square)"));
  CHECK_THAT(error_of([&] { read({"data.image_size=8by8"}); }), Contains("data.image_size: must be \"HxW\""));
  CHECK_THAT(error_of([&] { read({"data.image_size=0x8"}); }), Contains("data.image_size: must be \"HxW\""));
  CHECK_THAT(error_of([&] { read({"data.channels=2"}); }), Contains("data.channels: must be 0 (auto"));
  CHECK_THAT(error_of([&] { build_data(read({"data.test_examples=3"}), dir / "r4", false); }),
             Contains("data.test_examples: 3 test images asked for"));
}

