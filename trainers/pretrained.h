// `model.init_from`: starting a model from a pretrained run of the same family (its tensors
// under ModelSpec::init_prefix), after checking that the run is of that family and that its
// tokenizer is the one this run's data uses. Every failure is an error before training.
#pragma once

#include <torch/torch.h>

#include "core/model_context.h"
#include "models/registry.h"

namespace attnlab {

// Resolves spec.init_from (a run directory: its best.pt, else last.pt; or a checkpoint file
// inside a run directory), verifies it, and copies its tensors. Returns the checkpoint used.
std::string init_from_pretrained(torch::nn::Module& model, const ModelSpec& spec, const ModelContext& context);

}  // namespace attnlab
