// A folder of class folders of PNG/JPEG images, the torchvision ImageFolder / Hugging Face
// imagefolder convention, read into labelled 8-bit images (data.type: image_classification,
// when data.dir holds no IDX files). Decoding is datasets/image_file.h's, resizing
// LibTorch's (datasets/image_resize.h).
//
// Layouts:
// - split: DIR/train/CLASS/*, with optional DIR/val/CLASS/* and DIR/test/CLASS/*. val/ and
//   test/ must have the same class folders as train/ (one may be empty); a folder beside
//   train/ other than val/ and test/ is an error (a "validation/" would otherwise be ignored).
// - flat: DIR/CLASS/* (no DIR/train/); the caller splits the images (a seeded split by counts).
// Class names are the class folders' names sorted in byte order; a label is the index of its
// class in that order. Images are the files directly inside a class folder whose name ends in
// .png, .jpg or .jpeg (any case); other files, subfolders of class folders, files outside
// class folders and hidden entries (names starting with '.') are skipped and counted in the
// notes. A training class folder without images is an error.
//
// Reading order (within each split): by file name (the name inside the class folder), then by
// class name, both in byte order. A dataset written as DIR/train/<label>_<name>/<index>.png
// (scripts/fashion_mnist_to_png.py) therefore reads in its original order. Splits are read in
// the order train, val, test; "the first image read" is the first training image.
//
// Sizes: with no size given every image must have the first image's size (another size is an
// error naming both files and sizes); with one, every image of another size is resized to it
// (datasets/image_resize.h). Channels: 0 = 1 if every file is grayscale, else 3; grayscale
// becomes 3 equal channels, colour becomes gray by BT.601 luma (image_file.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnlab {

// Images and their labels: one pair of IDX files, or one split of an image folder.
struct LabelledImages {
  int64_t count = 0, channels = 1, height = 0, width = 0;
  std::vector<uint8_t> pixels;   // count x channels x height x width
  std::vector<int64_t> labels;   // count
};

struct ImageFolderOptions {
  int64_t height = 0, width = 0;  // 0 x 0: every image must be the first one's size
  int64_t channels = 0;           // 0 = auto (1 if every image is grayscale, else 3), 1 or 3
  // Named in the messages that tell the user what to set.
  std::string image_size_key = "data.image_size", channels_key = "data.channels";
};

struct ImageFolder {
  bool split_layout = false;             // DIR/train/ exists
  std::vector<std::string> class_names;  // the class folders, sorted
  // "train", "val", "test" (the split layout: those whose folders exist) or "all" (flat).
  std::map<std::string, LabelledImages> parts;
  std::string layout;                    // "DIR/{train,test}/CLASS/*" or "DIR/CLASS/*"
  std::vector<std::string> notes;        // formats, size, channels, what was skipped or resized
};

// Whether `dir` has a subfolder that is not hidden (a train/ or a class folder).
bool has_subfolders(const std::string& dir);

// Reads every image of the folder; errors (std::runtime_error) name the file or folder.
ImageFolder read_image_folder(const std::string& dir, const ImageFolderOptions& options = {});

}  // namespace attnlab
