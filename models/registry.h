// The model zoo's registry: `model.type` names a family; each family reads its own keys
// from the `model:` section and later builds the module and its training task.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/section.h"
#include "core/export/exportable.h"
#include "core/model_context.h"
#include "core/task.h"
#include "core/util/memory.h"
#include "models/diffusion.h"
#include "models/image_judge.h"

namespace attnlab {

struct BuiltModel {
  std::shared_ptr<torch::nn::Module> module;
  std::shared_ptr<Task> task;
  // Models over image patches: where the model looks in each input image, [B, grid_h,
  // grid_w] (attention rollout from the token its head reads); empty for other models.
  std::function<torch::Tensor(const torch::Tensor&)> attention_map = {};
  // The TorchScript interface (`attnlab export`); empty for a family that has none.
  std::function<Exportable()> exportable = {};
  // Autoregressive decoding, for `attnlab bench`: decodes from an evaluation batch's inputs,
  // with or without the key/value cache, and returns the tokens produced. new_tokens: how
  // many a language model generates (a translator stops at its own limits). Empty for
  // families that do not decode.
  std::function<int64_t(const Batch& batch, int64_t new_tokens, bool kv_cache)> decode = {};
  // Image classifiers: the penultimate features [B, D] and the class logits [B, classes] of
  // images normalised as the data normalised them (a judge of generated images). Empty for others.
  struct ImageScores {
    torch::Tensor features, logits;
  };
  std::function<ImageScores(const torch::Tensor& images)> score_images = {};
  // Image generators: samples [N, C, H, W] with pixels in [0, 1], one for each class id in
  // `labels` [N] (`attnlab sample`); and the judge their evaluations report with (model.judge).
  std::function<torch::Tensor(const torch::Tensor& labels, const SampleOptions& options)> sample_images = {};
  std::function<void(std::shared_ptr<ImageJudge>)> set_judge = {};
};

// The outcome of reading a `model:` section: the facts the data pipeline needs, and a
// builder to call once the data is ready. Reading is cheap and validates every key.
struct ModelSpec {
  std::string type;
  int64_t block_size = 0;  // the longest sequence the model takes (0: not a sequence model)
  // Fine-tuning: a pretrained run of the same type (or its checkpoint file) whose tensors
  // under init_prefix (e.g. "encoder.") are copied into the new model before training.
  std::string init_from;
  std::string init_prefix;
  // Builds the module and the task for the data described by the context; throws when the
  // family cannot train on that data (e.g. a GPT on classification data).
  std::function<BuiltModel(const ModelContext&)> build;
  // What one training step needs (models/memory_estimate.h) for the data's context and
  // trainer.batch_size, checked before `build` allocates; empty: not estimated.
  std::function<MemoryNeed(const ModelContext&, int64_t batch_size)> memory = {};
  // The `model:` key that sets block_size and the length of the training sequences
  // (`attnlab bench --seq-lengths` varies it); empty when the data fixes the length.
  std::string length_key = {};
  // An image classifier's run that scores this model's generated images at each evaluation
  // (model.judge: trainers/image_judge.h); empty: none.
  std::string judge = {};
};

using ModelConfigurer = std::function<ModelSpec(ConfigSection&)>;

// Reads `model.type` and hands the section to that family's configurer.
ModelSpec configure_model(ConfigSection section);

// Adds a family; the built-in ones are registered in models/zoo.cpp.
void register_model(const std::string& type, ModelConfigurer configurer);
std::vector<std::string> model_types();

}  // namespace attnlab
