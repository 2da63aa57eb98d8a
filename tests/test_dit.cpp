// The DiT family end to end: a tiny DiT overfits two images so that sampling redraws them,
// training from a config resumes exactly, `attnlab sample` draws its grid and IDX files,
// `attnlab eval --judge` scores samples with a trained classifier, and the export equals the
// native model (in C++ and in Python's sampler).
#include <catch2/catch.hpp>

#include <torch/script.h>
#include <torch/torch.h>

#include "core/util/precision.h"
#include "core/util/rgb_image.h"
#include "datasets/idx_file.h"
#include "models/diffusion.h"
#include "models/dit.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::load_run;
using attnlab::testing::read_text;
using attnlab::testing::run_command;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

// The tiny DiT config on an image fixture in dir/images (28x28, 10 classes), run under dir.
TrainSummary train_tiny_dit(const TempDir& dir, std::vector<std::string> overrides = {}) {
  if (!std::filesystem::exists(dir / "images")) attnlab::testing::image_fixture(dir / "images", 60, 20);
  overrides.insert(overrides.begin(), "data.dir=" + (dir / "images"));
  return attnlab::testing::train_config("dit/fashion_mnist_tiny.yaml", dir, overrides);
}

}  // namespace

TEST_CASE("a tiny DiT overfits two images, one per class, and sampling redraws each from noise") {
  torch::manual_seed(0);
  DiTOptions o;
  o.n_layer = 2, o.n_head = 2, o.n_embd = 64, o.patch_size = 2;
  o.channels = 1, o.image_height = 8, o.image_width = 8, o.num_classes = 2;
  o.diffusion.timesteps = 100;
  DiT dit(o);
  const GaussianDiffusion d(o.diffusion);
  // Class 0: a bright square on dark; class 1: stripes. In the diffusion's [-1, 1] scale.
  auto images = torch::full({2, 1, 8, 8}, -1.0);
  images[0].slice(1, 2, 6).slice(2, 2, 6) = 1;
  images[1].slice(2, 0, 8, 2) = 1;
  torch::optim::Adam opt(dit->parameters(), torch::optim::AdamOptions(2e-3));
  const auto labels = torch::arange(32, torch::kLong).remainder(2);
  for (int step = 0; step < 600; ++step) {
    const auto x0 = images.index_select(0, labels);
    const auto t = torch::randint(100, {32}, torch::kLong);
    const auto noise = torch::randn_like(x0);
    const auto loss = torch::mse_loss(dit(d.q_sample(x0, t, noise), t, labels), noise);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  dit->eval();
  SampleOptions so;
  so.steps = 20, so.seed = 3;
  const auto want = torch::tensor({0, 1, 1, 0}, torch::kLong);
  const DenoiseFn f = [&](const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) { return dit(x, t, y); };
  const auto samples = d.sample(f, {4, 1, 8, 8}, want, so);
  for (int64_t i = 0; i < 4; ++i) {
    const auto own = (samples[i] - images[want[i].item<int64_t>()]).pow(2).mean().item<double>();
    const auto other = (samples[i] - images[1 - want[i].item<int64_t>()]).pow(2).mean().item<double>();
    INFO("sample " << i << ": MSE to its own class's image " << own << ", to the other " << other);
    CHECK(own < 0.05);  // the other image is at MSE 2
    CHECK(other > 10 * own);
  }
}

TEST_CASE("DiT training resumes exactly: 6 steps + resume + 14 equals 20 straight") {
  TempDir dir;
  auto straight = train_tiny_dit(dir, {"trainer.max_iters=20", "experiment.name=straight"});
  auto first = train_tiny_dit(dir, {"trainer.max_iters=6", "experiment.name=split"});  // right after the warmup (5)
  REQUIRE(first.step == 6);
  REQUIRE(attnlab::testing::resume_run(first, 20).step == 20);
  CHECK(attnlab::testing::max_param_diff(straight.run_dir, first.run_dir) == 0.0);
  // The loss fell from the fresh model's (about 1, the noise's variance: a fresh DiT outputs 0).
  const auto losses = attnlab::testing::training_losses(straight.run_dir);
  CHECK(losses.front() == Approx(1).margin(0.1));
  CHECK(losses.back() < losses.front());
  // Throughput counts the transformer's tokens: an image is its patches (4 x 4 of 7 x 7 pixels).
  Assembled a = load_run(straight.run_dir);
  const auto dit = std::dynamic_pointer_cast<DiTImpl>(a.model.module);
  REQUIRE(dit);
  REQUIRE(dit->options.num_patches() == 16);
  CHECK(a.model.task->compute(a.data.source->eval_batch("val", 0, 1, 4)).num_tokens == 4 * 16);
}

TEST_CASE("CLI: attnlab sample draws one row per class into a PNG and IDX files, and bad requests are refused") {
  TempDir dir;
  const std::string run = train_tiny_dit(dir).run_dir;
  const std::string bin = ATTNLAB_BIN;
  auto all = run_command(bin + " sample " + run + " --n 3 --steps 4 --guidance 2 --idx " + (dir / "idx"), dir);
  INFO(all.out);
  REQUIRE(all.status == 0);
  // The default file is named by each request that differs from the defaults (n, steps).
  CHECK_THAT(all.out, Contains("30 images of 10 class(es)") && Contains("images/s") &&
                          Contains("samples_guidance2_n3_steps4.png"));
  const std::string grid_path = run + "/samples_guidance2_n3_steps4.png";
  const RgbImage grid = read_png(grid_path);
  CHECK(grid.height == 24 + 10 * (28 * 3 + 2) + 8);  // title, 10 rows of 3x-enlarged images, margin
  const IdxArray images = read_idx(dir / "idx/t10k-images-idx3-ubyte"), labels = read_idx(dir / "idx/t10k-labels-idx1-ubyte");
  CHECK(images.dims == std::vector<int64_t>{30, 28, 28});
  CHECK(labels.data == std::vector<uint8_t>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8,
                                            8, 9, 9, 9});
  // One class draws one row; the same seed draws the same images.
  for (const char* name : {"one", "again"}) {
    // --out into a folder that does not exist yet: made before sampling.
    auto one = run_command(bin + " sample " + run + " --class Sneaker --n 3 --steps 4 --guidance 2 --out " +
                               (dir / "pictures/") + name + ".png --idx " + (dir / name), dir);
    REQUIRE(one.status == 0);
    CHECK(read_png(dir / "pictures/" + name + ".png").height == 24 + (28 * 3 + 2) + 8);
  }
  const IdxArray one = read_idx(dir / "one/t10k-images-idx3-ubyte"), again = read_idx(dir / "again/t10k-images-idx3-ubyte");
  CHECK(one.dims == std::vector<int64_t>{3, 28, 28});
  CHECK(one.data == again.data);
  CHECK(read_idx(dir / "one/t10k-labels-idx1-ubyte").data == std::vector<uint8_t>{7, 7, 7});

  // One class without --out gets a file of its own (its name made safe), not the full grid's;
  // and sampling needs the run directory alone: the images moved away, the same bytes come out.
  const std::string grid_bytes = read_text(grid_path);
  std::filesystem::rename(dir / "images", dir / "moved");
  auto shirt = run_command(bin + " sample " + run + " --class T-shirt/top --n 3 --steps 4 --guidance 2 --idx " +
                               (dir / "shirt"), dir);
  INFO(shirt.out);
  REQUIRE(shirt.status == 0);
  CHECK_THAT(shirt.out, Contains("samples_T-shirt-top_guidance2_n3_steps4.png"));
  CHECK(std::filesystem::exists(run + "/samples_T-shirt-top_guidance2_n3_steps4.png"));
  CHECK(read_text(grid_path) == grid_bytes);
  auto moved = run_command(bin + " sample " + run + " --class Sneaker --n 3 --steps 4 --guidance 2 --out " +
                               (dir / "moved.png") + " --idx " + (dir / "moved_idx"), dir);
  REQUIRE(moved.status == 0);
  CHECK(read_idx(dir / "moved_idx/t10k-images-idx3-ubyte").data == one.data);
  std::filesystem::rename(dir / "moved", dir / "images");

  // A class name in another case names that class, and its file carries the run's spelling.
  auto lower_case = run_command(bin + " sample " + run + " --class sneaker --n 3 --steps 4 --guidance 2 --idx " +
                                    (dir / "lower"), dir);
  REQUIRE(lower_case.status == 0);
  CHECK(read_idx(dir / "lower/t10k-images-idx3-ubyte").data == one.data);
  CHECK(std::filesystem::exists(run + "/samples_Sneaker_guidance2_n3_steps4.png"));
  // The precision names the file only when it is not the run's own; the last checkpoint always.
  const std::string own = resolve_precision(Experiment::read_run(run).experiment.precision, torch::kCPU);
  const std::string sneaker = bin + " sample " + run + " --class Sneaker --n 1 --steps 2 --guidance 2";
  REQUIRE(run_command(sneaker + " --precision " + own + " --checkpoint last", dir).status == 0);
  CHECK(std::filesystem::exists(run + "/samples_Sneaker_guidance2_n1_steps2_last.png"));
  if (own == "bf16") {
    REQUIRE(run_command(sneaker + " --precision fp32", dir).status == 0);
    CHECK(std::filesystem::exists(run + "/samples_Sneaker_guidance2_n1_steps2_fp32.png"));
  }
  auto jpeg = run_command(bin + " sample " + run + " --out " + (dir / "grid.jpg"), dir);
  CHECK(jpeg.status != 0);
  CHECK_THAT(jpeg.err, Contains("the grid is written as a PNG; name a .png file"));
  CHECK_FALSE(std::filesystem::exists(dir / "grid.jpg"));
  auto typo = run_command(bin + " sample " + run + " --class Sneakers", dir);
  CHECK(typo.status != 0);
  CHECK_THAT(typo.out, Contains("--class 'Sneakers' is not one of this run's classes") && Contains("did you mean 'Sneaker'?"));
  auto vit = attnlab::testing::train_config("vit/fashion_mnist_tiny.yaml", dir,
                                            {"data.dir=" + (dir / "images"), "experiment.name=judge"});
  auto not_generator = run_command(bin + " sample " + vit.run_dir, dir);
  CHECK(not_generator.status != 0);
  CHECK_THAT(not_generator.out, Contains("needs a run that generates images (model.type dit)") && Contains("vit run"));

  // Guidance on a model that never trained its "no class" prediction is warned about.
  const std::string no_dropout =
      train_tiny_dit(dir, {"model.class_dropout=0", "trainer.max_iters=2", "experiment.name=no_dropout"}).run_dir;
  auto guided = run_command(bin + " sample " + no_dropout + " --n 1 --steps 2 --guidance 2", dir);
  REQUIRE(guided.status == 0);
  CHECK_THAT(guided.err, Contains("warning: guidance 2 mixes in the unconditional prediction") &&
                             Contains("model.class_dropout 0"));
  auto unguided = run_command(bin + " sample " + no_dropout + " --n 1 --steps 2 --guidance 1", dir);
  REQUIRE(unguided.status == 0);
  CHECK_THAT(unguided.err, !Contains("warning"));
}

TEST_CASE("judged samples: training reports sample accuracy and the Fréchet distance, eval --judge scores at a "
          "chosen guidance") {
  TempDir dir;
  attnlab::testing::image_fixture(dir / "images", 60, 20);
  attnlab::testing::image_fixture(dir / "judge_images", 60, 20);
  auto judge = attnlab::testing::train_config("vit/fashion_mnist_tiny.yaml", dir,
                                              {"data.dir=" + (dir / "judge_images"), "experiment.name=judge"});
  // The judge is rebuilt from its run directory: its own data is not needed.
  std::filesystem::remove_all(dir / "judge_images");
  // Without a judge, sampling at evaluations is refused at once, naming the key.
  CHECK_THAT(attnlab::testing::error_of([&] { train_tiny_dit(dir, {"model.eval_samples=10", "experiment.name=x"}); }),
             Contains("model.eval_samples") && Contains("needs model.judge"));
  auto run = train_tiny_dit(dir, {"model.judge=" + judge.run_dir, "model.eval_samples=20",
                                  "trainer.best_metric=val_frechet_distance"});
  const auto metrics = attnlab::testing::read_metrics(run.run_dir + "/metrics.jsonl");
  int judged = 0;
  for (const auto& m : metrics)
    if (m.contains("val_frechet_distance")) {
      ++judged;
      CHECK(m.at("val_frechet_distance").get<double>() > 0);
      CHECK(m.at("val_sample_accuracy").get<double>() >= 0);
      CHECK(!m.contains("train_frechet_distance"));  // sampled for val only
    }
  CHECK(judged == 3);  // steps 0, 10 and 20
  CHECK(run.best_metric == "val_frechet_distance");

  const std::string bin = ATTNLAB_BIN;
  auto eval = run_command(bin + " eval " + run.run_dir + " --split test --samples 20 --sample-steps 3 --guidance 3", dir);
  INFO(eval.out);
  REQUIRE(eval.status == 0);
  const auto j = nlohmann::json::parse(read_text(run.run_dir + "/eval_test_samples20_steps3_guidance3.json"));
  CHECK(!j.contains("confusion"));  // a generator predicts no classes
  CHECK(j.at("flags") == nlohmann::json{{"samples", 20}, {"sample_steps", 3}, {"guidance", 3.0}});
  CHECK(j.at("sample_accuracy").get<double>() >= 0);
  CHECK(j.at("frechet_distance").get<double>() > 0);
  // A judge that is not an image classifier, and a generator flag on a run that is not one.
  auto bad_judge = run_command(bin + " eval " + run.run_dir + " --judge " + run.run_dir + " --samples 5", dir);
  CHECK(bad_judge.status != 0);
  CHECK_THAT(bad_judge.out, Contains("is a dit run, which does not classify images: a judge must be an image classifier"));
  auto text_judge = run_command(bin + " eval " + run.run_dir + " --judge " + attnlab::testing::train_tiny_gpt(dir).run_dir, dir);
  CHECK(text_judge.status != 0);
  CHECK_THAT(text_judge.out, Contains("a judge must be an image classifier"));
  // A judge given to a run that samples nothing at evaluations.
  auto no_samples = run_command(bin + " eval " + run.run_dir + " --judge " + judge.run_dir + " --sample-steps 2", dir);
  CHECK(no_samples.status == 0);  // the run's own eval_samples (20) are judged
  auto tiny = train_tiny_dit(dir, {"experiment.name=unjudged"});
  auto judge_alone = run_command(bin + " eval " + tiny.run_dir + " --judge " + judge.run_dir, dir);
  CHECK(judge_alone.status != 0);
  CHECK_THAT(judge_alone.out, Contains("model.eval_samples is 0 (attnlab eval: --samples N)"));
  auto not_generator = run_command(bin + " eval " + judge.run_dir + " --guidance 2", dir);
  CHECK(not_generator.status != 0);
  CHECK_THAT(not_generator.out, Contains("apply to runs that generate images") && Contains("vit run"));
}

TEST_CASE("export: the DiT's file equals the native model at several batch sizes, and Python's DDIM sampler with "
          "it alone draws what attnlab sample draws") {
  TempDir dir;
  const std::string run = train_tiny_dit(dir).run_dir;
  ExportRequest r;
  r.run_dir = run, r.out = dir / "dit.pt";
  const ExportSummary s = export_run(r);
  INFO(s.text);
  REQUIRE(s.passed);
  auto module = torch::jit::load(r.out);
  Assembled a = load_run(run);
  auto& dit = dynamic_cast<DiTImpl&>(*a.model.module);
  torch::NoGradGuard no_grad;
  for (int64_t B : {1, 3, 8}) {
    const auto x = torch::randn({B, 1, 28, 28}), t = torch::randint(100, {B}, torch::kLong),
               y = torch::randint(11, {B}, torch::kLong);
    CHECK(torch::allclose(module.forward({x, t, y}).toTensor(), dit.forward(x, t, y), 1e-5, 1e-6));
  }
  // Python: the exported file alone, DDIM from the same seed, against the native sampler.
  auto py = run_command(std::string(ATTNLAB_PYTHON) + " " + ATTNLAB_SOURCE_DIR + "/examples/python/sample_dit.py " + r.out +
                            " --class Bag --n 2 --steps 4 --guidance 2 --seed 5 --json --out " + (dir / "py.pgm"),
                        dir);
  INFO(py.out);
  REQUIRE(py.status == 0);
  const auto j = nlohmann::json::parse(py.out.substr(0, py.out.find('\n')));
  const auto python = torch::tensor(j.at("pixels").get<std::vector<double>>(), torch::kFloat).view({2, 1, 28, 28});
  SampleOptions so;
  so.steps = 4, so.guidance = 2, so.seed = 5;
  const auto native = a.model.sample_images(torch::full({2}, 8, torch::kLong), so);
  CHECK(torch::allclose(python, native, 0, 1e-4));
  CHECK(std::filesystem::file_size(dir / "py.pgm") > 2 * 28 * 28);
}
