#include "trainers/pretrained.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/util/checkpoint_file.h"
#include "datasets/tokenizer.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"

namespace attnlab {
namespace fs = std::filesystem;

std::string init_from_pretrained(torch::nn::Module& model, const ModelSpec& spec, const ModelContext& context) {
  const std::string& source = spec.init_from;
  if (!fs::exists(source))
    throw std::runtime_error("model.init_from: '" + source + "' does not exist (pretrain first, e.g. `attnlab train "
                             "configs/bert/kjv_mlm.yaml`, or point it at a run directory)");
  const bool is_dir = fs::is_directory(source);
  const std::string run_dir = is_dir ? source : fs::absolute(source).parent_path().string();
  if (is_dir && !fs::exists(fs::path(source) / "best.pt") && !fs::exists(fs::path(source) / "last.pt"))
    throw std::runtime_error("model.init_from: " + source + " is not a run directory with a checkpoint (no best.pt "
                             "or last.pt)");
  const std::string checkpoint = is_dir ? run_checkpoint(source, "best") : source;

  // The family: from the run's config.yaml, read as every run directory is read.
  std::string type;
  try {
    type = Experiment::read_run(run_dir).model.type;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("model.init_from: ") + e.what());
  }
  if (type != spec.type)
    throw std::runtime_error(fmt::format("model.init_from: {} is a {} run, not a {} run", source, type, spec.type));

  // The vocabulary: the pretrained embeddings only mean something with the same token ids.
  const auto pretrained_tok = load_tokenizer(run_dir);
  if (pretrained_tok->fingerprint() != context.tokenizer_fingerprint)
    throw std::runtime_error(fmt::format(
        "model.init_from: {}'s tokenizer ({}) differs from this run's ({}): the token ids would not match. Use the "
        "pretraining run's data.tokenizer, data.vocab_size and data split keys (path, split_seed, val_fraction, "
        "test_fraction)",
        run_dir, pretrained_tok->fingerprint(), context.tokenizer_fingerprint));

  try {
    load_pretrained_tensors(checkpoint, model, spec.init_prefix);
  } catch (const CheckpointError& e) {
    throw std::runtime_error(std::string("model.init_from: ") + e.what());
  }
  return checkpoint;
}

}  // namespace attnlab
