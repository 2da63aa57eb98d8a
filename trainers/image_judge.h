// model.judge / `attnlab eval --judge RUN`: an image classifier's run (a ViT) loaded as the
// judge of another run's generated images (models/image_judge.h): its accuracy on them and a
// Fréchet distance in its penultimate features between them and the real images of a split.
#pragma once

#include <memory>
#include <string>

#include "core/model_context.h"
#include "core/task.h"
#include "models/image_judge.h"
#include "trainers/experiment.h"

namespace attnlab {

// Loads the judge run's best checkpoint (else last) onto `device`. `data`: the judged run's
// data, whose splits give the real images (normalised as `context` says). Throws, naming the
// run, when it is not an image classifier, or when its images or classes differ from `context`'s.
std::shared_ptr<ImageJudge> load_image_judge(const std::string& judge_run, std::shared_ptr<const BatchSource> data,
                                             const ModelContext& context, const torch::Device& device);

// Gives an assembled generator the judge its config names (ModelSpec::judge), if any: what
// `attnlab train` and `attnlab eval` do after assemble(); other commands sample unjudged.
void attach_judge(const Experiment& exp, Assembled& assembled, const torch::Device& device);

}  // namespace attnlab
