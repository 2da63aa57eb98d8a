#include "trainers/image_judge.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "core/metrics/frechet_distance.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/run_model.h"

namespace attnlab {

namespace {

class ClassifierJudge : public ImageJudge {
 public:
  ClassifierJudge(BuiltModel model, ModelContext judge_context, std::shared_ptr<const BatchSource> data,
                  ModelContext data_context)
      : model_(std::move(model)), judge_(std::move(judge_context)), data_(std::move(data)),
        context_(std::move(data_context)) {}

  ImageJudgement judge(const torch::Tensor& pixels, const torch::Tensor& labels, const std::string& split) override {
    torch::NoGradGuard no_grad;
    model_.module->eval();
    ImageJudgement j;
    const auto [features, predictions] = score(pixels);
    j.samples = pixels.size(0);
    j.accuracy = predictions.eq(labels.to(predictions.device())).to(torch::kDouble).mean().item<double>();
    auto it = real_.find(split);
    if (it == real_.end()) it = real_.emplace(split, real_features(split)).first;
    j.frechet_distance = frechet_distance(it->second, features);
    return j;
  }

 private:
  // Features [N, D] (CPU) and predicted classes [N] of pixels in [0, 1], in batches.
  std::pair<torch::Tensor, torch::Tensor> score(const torch::Tensor& pixels) {
    const auto device = model_.module->parameters().front().device();
    std::vector<torch::Tensor> features, predictions;
    for (int64_t start = 0; start < pixels.size(0); start += 500) {
      const auto x = (pixels.narrow(0, start, std::min<int64_t>(500, pixels.size(0) - start)).to(device, torch::kFloat) -
                      judge_.image_mean) / judge_.image_std;
      const auto s = model_.score_images(x);
      features.push_back(s.features.to(torch::kCPU, torch::kFloat));
      predictions.push_back(s.logits.argmax(-1).cpu());
    }
    return {torch::cat(features), torch::cat(predictions)};
  }

  // The judge's features of every image of the judged run's split (computed once a split).
  torch::Tensor real_features(const std::string& split) {
    std::vector<torch::Tensor> features;
    const int64_t n = data_->num_examples(split);
    for (int64_t start = 0; start < n; start += 500) {
      const auto x = data_->examples(split, start, std::min<int64_t>(500, n - start)).at("input");
      features.push_back(score(x * context_.image_std + context_.image_mean).first);
    }
    return torch::cat(features);
  }

  BuiltModel model_;
  ModelContext judge_;
  std::shared_ptr<const BatchSource> data_;
  ModelContext context_;
  std::map<std::string, torch::Tensor> real_;
};

}  // namespace

std::shared_ptr<ImageJudge> load_image_judge(const std::string& run, std::shared_ptr<const BatchSource> data,
                                             const ModelContext& context, const torch::Device& device) {
  const Experiment exp = Experiment::read_run(run);
  // The judge's model from its run directory (trainers/run_model.h): its own data is not read;
  // the real images it is compared with are `data`'s.
  Assembled judge;
  try {
    judge = assemble_from_run(exp, run, device);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("judge {} (a {} run on {} data) cannot judge images: a judge must be an image "
                                         "classifier (model.type vit); rebuilding it: {}",
                                         run, exp.model.type, exp.data.type, e.what()));
  }
  const ModelContext jc = judge.data.context;
  if (jc.objective != "image_classification")
    throw std::runtime_error(fmt::format("judge {} is a {} run on {} data: a judge must be an image classifier (model.type "
                                         "vit on data.type image_classification)", run, exp.model.type, exp.data.type));
  BuiltModel model = std::move(judge.model);
  if (!model.score_images)
    throw std::runtime_error(fmt::format("judge {} is a {} run, which does not classify images: a judge must be an image "
                                         "classifier (model.type vit)", run, exp.model.type));
  if (jc.image_channels != context.image_channels || jc.image_height != context.image_height ||
      jc.image_width != context.image_width)
    throw std::runtime_error(fmt::format("judge {} reads {}x{}x{} images; these are {}x{}x{}", run, jc.image_channels,
                                         jc.image_height, jc.image_width, context.image_channels, context.image_height,
                                         context.image_width));
  if (jc.class_names != context.class_names)
    throw std::runtime_error(fmt::format("judge {} has classes [{}]; these images' are [{}]", run,
                                         fmt::join(jc.class_names, ", "), fmt::join(context.class_names, ", ")));
  load_checkpoint(run_checkpoint(run, "best"), *model.module, nullptr, device);
  return std::make_shared<ClassifierJudge>(std::move(model), jc, std::move(data), context);
}

void attach_judge(const Experiment& exp, Assembled& a, const torch::Device& device) {
  if (exp.model.judge.empty()) return;
  a.model.set_judge(load_image_judge(exp.model.judge, a.data.source, a.data.context, device));
}

}  // namespace attnlab
