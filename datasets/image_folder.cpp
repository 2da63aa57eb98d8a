#include "datasets/image_folder.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <tuple>

#include "core/util/files.h"
#include "datasets/image_file.h"
#include "datasets/image_resize.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

// Names in a folder, split into subfolders and files, each sorted in byte order; hidden
// entries are counted apart.
struct Listing {
  std::vector<std::string> folders, files;
  int64_t hidden = 0;
};

Listing list(const std::string& dir) {
  Listing out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || is_hidden_name(name)) {
      ++out.hidden;
      continue;
    }
    std::error_code type_ec;
    (it->is_directory(type_ec) ? out.folders : out.files).push_back(name);
  }
  if (ec) throw std::runtime_error(fmt::format("cannot list {}: {}", dir, ec.message()));
  std::sort(out.folders.begin(), out.folders.end());
  std::sort(out.files.begin(), out.files.end());
  return out;
}

// What the walk skipped, by kind ("2 .txt", "1 subfolder"), with one example path.
struct Skipped {
  std::map<std::string, int64_t> counts;
  std::string example;
  void add(const std::string& kind, const std::string& path, int64_t n = 1) {
    if (n <= 0) return;
    counts[kind] += n;
    if (example.empty()) example = path;
  }
  int64_t total() const {
    int64_t n = 0;
    for (const auto& kv : counts) n += kv.second;
    return n;
  }
};

std::string kind_of_file(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? "file without an extension" : name.substr(dot) + " file";
}

struct ImageRef {
  std::string file_name;
  int64_t label;
  std::string path;
};

// One split folder (or the flat root): its class folders and their images in reading order.
std::vector<ImageRef> walk_split(const std::string& dir, std::vector<std::string>& class_names, bool define_classes,
                                 Skipped& skipped) {
  const Listing top = list(dir);
  skipped.add("hidden entry", dir + "/.*", top.hidden);
  for (const auto& f : top.files) skipped.add("file outside a class folder", dir + "/" + f);
  if (define_classes) {
    class_names = top.folders;
    if (class_names.empty())
      throw std::runtime_error(fmt::format("{} has no class folders: images go in {}/CLASS/*.png (or .jpg, .jpeg)", dir, dir));
  } else {
    for (const auto& name : class_names)
      if (!std::binary_search(top.folders.begin(), top.folders.end(), name))
        throw std::runtime_error(fmt::format("{} has no class folder '{}', which train/ has: every class of train/ must "
                                             "have its folder here too (it may be empty)",
                                             dir, name));
    for (const auto& name : top.folders)
      if (!std::binary_search(class_names.begin(), class_names.end(), name))
        throw std::runtime_error(fmt::format("{}/{} is a class folder that train/ does not have: the classes are "
                                             "train/'s folders",
                                             dir, name));
  }
  std::vector<ImageRef> images;
  for (size_t label = 0; label < class_names.size(); ++label) {
    const std::string class_dir = dir + "/" + class_names[label];
    const Listing inside = list(class_dir);
    skipped.add("hidden entry", class_dir + "/.*", inside.hidden);
    for (const auto& f : inside.folders) skipped.add("subfolder of a class folder", class_dir + "/" + f);
    int64_t n = 0;
    for (const auto& f : inside.files) {
      if (!is_image_file_name(f)) {
        skipped.add(kind_of_file(f), class_dir + "/" + f);
        continue;
      }
      images.push_back({f, static_cast<int64_t>(label), class_dir + "/" + f});
      ++n;
    }
    if (n == 0 && define_classes)
      throw std::runtime_error(fmt::format("class folder {} has no images (.png, .jpg or .jpeg files)", class_dir));
  }
  // Reading order: by file name, then by class name (labels follow the sorted class names).
  std::sort(images.begin(), images.end(), [](const ImageRef& a, const ImageRef& b) {
    return std::tie(a.file_name, a.label) < std::tie(b.file_name, b.label);
  });
  return images;
}

std::string size_text(int64_t h, int64_t w) { return fmt::format("{}x{}", h, w); }

// Decodes the images of every part, checks or makes their size, then packs them to one
// channel count.
class Reader {
 public:
  explicit Reader(const ImageFolderOptions& o) : o_(o) {}

  void read_part(const std::string& part, const std::vector<ImageRef>& refs) {
    auto& images = decoded_[part];
    images.reserve(refs.size());
    for (const ImageRef& ref : refs) {
      DecodedImage d = decode_image(ref.path);
      ++formats_[d.format];
      if (d.channels == 3 && colour_++ == 0) first_colour_ = ref.path;
      if (d.had_alpha) ++alpha_;
      if (o_.height > 0) {
        if (d.height != o_.height || d.width != o_.width) {
          d.pixels = resize_bilinear(d.pixels, d.height, d.width, d.channels, o_.height, o_.width);
          d.height = o_.height, d.width = o_.width;
          ++resized_;
        }
      } else if (first_path_.empty()) {
        first_path_ = ref.path, height_ = d.height, width_ = d.width;
      } else if (d.height != height_ || d.width != width_) {
        throw std::runtime_error(fmt::format(
            "{} is {} (height x width), but the first image read, {}, is {}: every image must have one size; set {} "
            "(\"HxW\", e.g. \"{}\") to resize them all to it",
            ref.path, size_text(d.height, d.width), first_path_, size_text(height_, width_), o_.image_size_key,
            size_text(height_, width_)));
      }
      images.push_back({ref.label, d.channels, std::move(d.pixels)});
      ++total_;
    }
  }

  void finish(ImageFolder& out) {
    if (o_.height > 0) height_ = o_.height, width_ = o_.width;
    const int64_t channels = o_.channels > 0 ? o_.channels : (colour_ > 0 ? 3 : 1);
    const int64_t hw = height_ * width_;
    for (auto& [part, images] : decoded_) {
      LabelledImages& li = out.parts[part];
      li.count = static_cast<int64_t>(images.size()), li.channels = channels, li.height = height_, li.width = width_;
      li.pixels.resize(static_cast<size_t>(li.count * channels * hw));
      li.labels.reserve(images.size());
      for (size_t i = 0; i < images.size(); ++i) {
        const Image& im = images[i];
        uint8_t* dst = li.pixels.data() + static_cast<int64_t>(i) * channels * hw;
        const uint8_t* src = im.pixels.data();
        for (int64_t p = 0; p < hw; ++p) {
          if (im.channels == 1) {
            for (int64_t c = 0; c < channels; ++c) dst[c * hw + p] = src[p];  // gray, repeated
          } else if (channels == 3) {
            for (int64_t c = 0; c < 3; ++c) dst[c * hw + p] = src[p * 3 + c];
          } else {
            dst[p] = luma_bt601(src[p * 3], src[p * 3 + 1], src[p * 3 + 2]);
          }
        }
        li.labels.push_back(im.label);
        std::vector<uint8_t>().swap(images[i].pixels);
      }
    }
    std::string formats;
    for (const auto& [format, n] : formats_) formats += fmt::format("{}{} {}", formats.empty() ? "" : ", ", n, format);
    out.notes.push_back(fmt::format("images: {} files read ({})", total_, formats));
    if (o_.height > 0)
      out.notes.push_back(fmt::format("size: {} ({}): {} of the {} images resized to it (bilinear, antialiased when "
                                      "shrinking){}",
                                      size_text(height_, width_), o_.image_size_key, resized_, total_,
                                      resized_ < total_ ? "; the others were that size already" : ""));
    else
      out.notes.push_back(fmt::format("size: {}, every image (the first image's size; {} resizes)",
                                      size_text(height_, width_), o_.image_size_key));
    const int64_t gray = total_ - colour_;
    // Auto: one colour image makes every image 3 channels, so the first is named (a stray
    // colour file in a grayscale set is then found at once).
    const std::string how =
        o_.channels > 0 ? o_.channels_key
        : colour_ > 0   ? fmt::format("auto: {} of the {} images are colour, the first {}; {}: 1 reads them as gray",
                                      colour_, total_, first_colour_, o_.channels_key)
                        : std::string("auto: every image is grayscale");
    std::string change;
    if (channels == 3 && gray > 0) change = fmt::format("; {} grayscale images repeated to 3 equal channels", gray);
    if (channels == 1 && colour_ > 0) change = fmt::format("; {} colour images made gray (BT.601 luma)", colour_);
    out.notes.push_back(fmt::format("channels: {} ({}){}", channels, how, change));
    if (alpha_ > 0) out.notes.push_back(fmt::format("alpha: {} images had transparency, composited onto black", alpha_));
  }

 private:
  struct Image {
    int64_t label, channels;
    std::vector<uint8_t> pixels;  // height x width x channels
  };
  ImageFolderOptions o_;
  std::map<std::string, std::vector<Image>> decoded_;
  std::map<std::string, int64_t> formats_;
  std::string first_path_, first_colour_;  // the first image read, and the first colour one
  int64_t height_ = 0, width_ = 0, total_ = 0, colour_ = 0, alpha_ = 0, resized_ = 0;
};

}  // namespace

bool has_subfolders(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  return !list(dir).folders.empty();
}

ImageFolder read_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  if ((options.height > 0) != (options.width > 0) || options.height < 0 || options.width < 0)
    throw std::invalid_argument("read_image_folder: height and width must both be positive or both 0");
  if (options.channels != 0 && options.channels != 1 && options.channels != 3)
    throw std::invalid_argument("read_image_folder: channels must be 0, 1 or 3");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(fmt::format("image folder {} does not exist", dir));
  ImageFolder out;
  Skipped skipped;
  Reader reader(options);
  const Listing root = list(dir);
  out.split_layout = std::binary_search(root.folders.begin(), root.folders.end(), "train");
  if (out.split_layout) {
    for (const auto& f : root.folders)
      if (f != "train" && f != "val" && f != "test")
        throw std::runtime_error(fmt::format("{} has train/ and also the folder '{}': beside train/ only val/ and test/ "
                                             "are read (rename it, or move it out of {})",
                                             dir, f, dir));
    skipped.add("hidden entry", dir + "/.*", root.hidden);
    for (const auto& f : root.files) skipped.add("file outside a class folder", dir + "/" + f);
    std::string parts = "train";
    for (const char* part : {"train", "val", "test"}) {
      if (!std::binary_search(root.folders.begin(), root.folders.end(), part)) continue;
      if (std::string(part) != "train") parts += std::string(",") + part;
      reader.read_part(part, walk_split(dir + "/" + part, out.class_names, part == std::string("train"), skipped));
    }
    out.layout = parts == "train" ? dir + "/train/CLASS/*" : dir + "/{" + parts + "}/CLASS/*";
  } else {
    reader.read_part("all", walk_split(dir, out.class_names, true, skipped));
    out.layout = dir + "/CLASS/*";
  }
  reader.finish(out);
  if (skipped.total() > 0) {
    std::string kinds;
    for (const auto& [kind, n] : skipped.counts) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
    out.notes.push_back(fmt::format("skipped {} entries that are not images in class folders ({}), e.g. {}",
                                    skipped.total(), kinds, skipped.example));
  }
  return out;
}

}  // namespace attnlab
