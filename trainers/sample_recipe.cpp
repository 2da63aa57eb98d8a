// `attnlab sample`: images from a trained image generator (model.type dit), one row per class,
// as a PNG grid and optionally as IDX files that attnlab's image data reads back.
#include <fmt/format.h>
#include <strings.h>

#include <cctype>
#include <chrono>
#include <filesystem>

#include "core/util/device.h"
#include "core/util/files.h"
#include "core/util/precision.h"
#include "core/util/threads.h"
#include "datasets/idx_file.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/run_model.h"
#include "trainers/image_grid.h"
#include "trainers/recipes.h"

namespace attnlab {

namespace {

// The class ids a --class value names: one class by name (or, when no name is written so, by
// the one name equal to it apart from case: "sneaker"), or every class in order.
std::vector<int64_t> requested_classes(const std::string& name, const std::vector<std::string>& names) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < names.size(); ++i)
    if (name == "all" || names[i] == name) ids.push_back(static_cast<int64_t>(i));
  if (ids.empty()) {
    for (size_t i = 0; i < names.size(); ++i)
      if (strcasecmp(names[i].c_str(), name.c_str()) == 0) ids.push_back(static_cast<int64_t>(i));
    if (ids.size() > 1) ids.clear();  // ambiguous: the exact name is needed
  }
  if (ids.empty()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "'" : ", '") + n + "'";
    const std::string close = nearest(name, names);
    throw std::runtime_error(fmt::format("--class '{}' is not one of this run's classes ({}) nor 'all'{}", name, known,
                                         close.empty() ? "" : "; did you mean '" + close + "'?"));
  }
  return ids;
}

// Pixels [N, C, H, W] in [0, 1] and their labels as an IDX pair PREFIX-images-idx3-ubyte,
// PREFIX-labels-idx1-ubyte in `dir` (grey images only: IDX3 holds one channel).
void write_idx_pair(const std::string& dir, const std::string& prefix, const torch::Tensor& pixels,
                    const torch::Tensor& labels) {
  const auto bytes = (pixels.select(1, 0) * 255).round().clamp(0, 255).to(torch::kUInt8).contiguous();
  const auto ids = labels.to(torch::kUInt8).contiguous();
  write_idx(dir + "/" + prefix + "-images-idx3-ubyte",
            {{bytes.size(0), bytes.size(1), bytes.size(2)},
             {bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel()}});
  write_idx(dir + "/" + prefix + "-labels-idx1-ubyte",
            {{ids.size(0)}, {ids.data_ptr<uint8_t>(), ids.data_ptr<uint8_t>() + ids.numel()}});
}

// RUN_DIR/samples[_CLASS]_guidanceG[_nN][_stepsS][_etaE][_seedS][_PRECISION][_last].png: the
// guidance, and each request that differs from the defaults, names the file, so that one
// sampling never overwrites another's grid. `class_name`: the class sampled, as the run names
// it ("" = all), its ASCII characters other than letters, digits, '-' and '.' made '-'
// ("T-shirt-top"); `precision`: the one sampled in when it is not the run's own ("" = the run's).
std::string default_png_path(const SampleRequest& r, const std::string& class_name, const std::string& precision) {
  const SampleRequest d;
  std::string name = "samples";
  if (!class_name.empty()) {
    name += "_";
    for (char c : class_name) {
      const auto u = static_cast<unsigned char>(c);
      name += u >= 0x80 || std::isalnum(u) || c == '-' || c == '.' ? c : '-';  // UTF-8 kept as it is
    }
  }
  name += fmt::format("_guidance{}", r.guidance);
  if (r.n != d.n) name += fmt::format("_n{}", r.n);
  if (r.steps != d.steps) name += fmt::format("_steps{}", r.steps);
  if (r.eta != d.eta) name += fmt::format("_eta{}", r.eta);
  if (r.seed != d.seed) name += fmt::format("_seed{}", r.seed);
  if (!precision.empty()) name += "_" + precision;
  if (r.checkpoint == "last") name += "_last";
  return (std::filesystem::path(r.run_dir) / (name + ".png")).string();
}

}  // namespace

SampleReport sample_images(const SampleRequest& r) {
  if (!r.out.empty() && lower_extension(r.out) != "png")
    throw std::runtime_error("--out " + r.out + ": the grid is written as a PNG; name a .png file");
  Experiment exp = Experiment::read_run(r.run_dir);
  const std::string ckpt = run_checkpoint(r.run_dir, r.checkpoint);
  const torch::Device device = resolve_device(r.device.empty() ? exp.experiment.device : r.device);
  const std::string run_precision = resolve_precision(exp.experiment.precision, device);
  exp.experiment.precision = resolve_precision(r.precision.empty() ? exp.experiment.precision : r.precision, device);
  configure_threads(exp.experiment.threads, exp.experiment.precision);
  Assembled a = assemble_from_run(exp, r.run_dir, device);
  if (!a.model.sample_images)
    throw std::runtime_error(fmt::format("attnlab sample needs a run that generates images (model.type dit); {} is a {} run",
                                         r.run_dir, exp.model.type));
  const auto& names = a.data.context.class_names;
  const auto classes = requested_classes(r.class_name, names);
  if (r.idx_dir.size() && a.data.context.image_channels != 1)
    throw std::runtime_error("--idx writes grey images (IDX3); this run's images have " +
                             std::to_string(a.data.context.image_channels) + " channels");
  const TrainingState state = load_checkpoint(ckpt, *a.model.module, nullptr, device);
  const std::string png_path =
      !r.out.empty() ? r.out
                     : default_png_path(r, r.class_name == "all" ? "" : names.at(static_cast<size_t>(classes[0])),
                                        exp.experiment.precision == run_precision ? "" : exp.experiment.precision);
  // Where the results go exists before the sampling starts, not after it is lost.
  const auto parent = std::filesystem::absolute(png_path).parent_path();
  std::filesystem::create_directories(parent);
  if (!r.idx_dir.empty()) std::filesystem::create_directories(r.idx_dir);

  // Row k holds class classes[k]: labels k*n .. k*n + n - 1.
  const auto class_ids = torch::tensor(classes, torch::kLong);
  const auto labels = class_ids.repeat_interleave(r.n).to(device);
  SampleOptions o;
  o.steps = r.steps, o.eta = r.eta, o.guidance = r.guidance, o.seed = r.seed;
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor pixels;
  {
    AutocastScope autocast(exp.experiment.precision, device);
    pixels = a.model.sample_images(labels, o).cpu();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  SampleReport report;
  report.seconds = seconds;
  report.images_per_second = static_cast<double>(pixels.size(0)) / seconds;
  std::vector<ImageRow> rows;
  for (size_t k = 0; k < classes.size(); ++k)
    rows.push_back({names.at(static_cast<size_t>(classes[k])), pixels.narrow(0, static_cast<int64_t>(k) * r.n, r.n)});
  const std::string sampler = r.eta == 0 ? "DDIM" : fmt::format("DDIM eta {}", r.eta);
  report.png_path = png_path;
  write_png(report.png_path, image_grid(rows, fmt::format("{} step {}: {} steps {}, guidance {}, seed {}", r.run_dir,
                                                          state.step, r.steps, sampler, r.guidance, r.seed)));
  report.text = fmt::format("{} ({} step {}): {} images of {} class(es), {} steps of {}, guidance {}, seed {}, {}: {:.1f} s, "
                            "{:.2f} images/s\n",
                            r.run_dir, ckpt, state.step, pixels.size(0), classes.size(), r.steps, sampler, r.guidance,
                            r.seed, exp.experiment.precision, seconds, report.images_per_second);
  report.text += fmt::format("wrote {}\n", report.png_path);
  if (!r.idx_dir.empty()) {
    // Both file pairs image_classification data reads, so that the samples can stand in for
    // a dataset (data.dir): as the test split, or to train a classifier on them.
    for (const char* prefix : {"train", "t10k"}) write_idx_pair(r.idx_dir, prefix, pixels, labels.cpu());
    report.text += fmt::format("wrote {}/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte\n", r.idx_dir);
  }
  return report;
}

}  // namespace attnlab
