// What a run was trained on, so that its data is never silently swapped: the facts of the
// data its weights depend on (objective, vocabulary and tokenizer, classes, image shape, input
// size) and each split's number of examples, saved as RUN_DIR/data.json when the run starts.
// Whenever the run's data is read again (eval, resume; generate, sample, translate and export
// of a run without model_context.json: trainers/run_model.h) they are
// compared: a renamed class folder, an added class or document, a resized image set is
// refused, naming what changed, instead of evaluated as if nothing had. A run without the
// file (made before it existed) is not checked. LibTorch-free header.
#pragma once

#include <string>

namespace attnlab {

struct BuiltData;

void save_data_facts(const BuiltData& data, const std::string& run_dir);

// Throws std::runtime_error naming each fact that differs (was / now) and what to do.
void check_data_facts(const BuiltData& data, const std::string& run_dir);

}  // namespace attnlab
