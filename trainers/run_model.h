// A run's model rebuilt from its directory alone, so that generate, sample, translate and export
// work where the training data is not (another machine, a moved folder): the ModelContext the
// data gave the model when it trained is saved as RUN_DIR/model_context.json, and the saved
// tokenizer supplies the rest. A run from before the file existed is assembled from its data
// once, and then gets the file.
#pragma once

#include <cstdio>
#include <string>

#include "core/model_context.h"
#include "trainers/experiment.h"

namespace attnlab {

// Writes RUN_DIR/model_context.json (atomically): every field but `detokenize`, which a load
// takes from the run's tokenizer.
void save_model_context(const ModelContext& context, const std::string& run_dir);

// The context saved by save_model_context. Throws naming the file when it is damaged or lacks
// a field (never a half-read context).
ModelContext load_model_context(const std::string& run_dir);

// The fingerprint of the tokenizer the run's model trained with, from model_context.json; ""
// for a run without the file or without a tokenizer. Loading the run's tokenizer checks it
// (load_tokenizer), so swapped tokenizer files are said as such, before any data is encoded.
std::string saved_tokenizer_fingerprint(const std::string& run_dir);

// The data half of the run, from RUN_DIR alone: the saved context and tokenizer (data.source
// is null: nothing is read to draw batches from). Then the model that context describes, on
// `device`. Without model_context.json (an older run): `assemble`, which reads the data and
// prints its report to `report`, and then the file is written, so that the next call needs
// no data. A missing or other tokenizer is refused, naming the file.
Assembled assemble_from_run(const Experiment& exp, const std::string& run_dir, const torch::Device& device,
                            std::FILE* report = stdout);

}  // namespace attnlab
