// The data registry: `data.type` names a dataset family that reads its own `data:` keys
// (validated; unknown keys are rejected) and, once the model's facts are known, builds the
// batch source, the tokenizer and the ModelContext that the model is built from.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/section.h"
#include "core/model_context.h"
#include "core/task.h"
#include "datasets/tokenizer.h"

namespace attnlab {

// What the recipe tells a data family when it builds.
struct DataBuildContext {
  std::string run_dir;          // where the tokenizer is saved (or loaded from)
  bool load_tokenizer = false;  // resume, eval, generate: use the run's saved tokenizer
  std::string tokenizer_fingerprint;  // with load_tokenizer: the one the run's model trained with ("" = unchecked)
  uint64_t seed = 1337;         // experiment.seed: tokenizer training, masking of eval batches
  int64_t model_seq_len = 0;    // the longest sequence the model takes (ModelSpec::block_size)
  int64_t batch_size = 0;       // trainer.batch_size: the streams of stream batching (data.stream)
};

struct BuiltData {
  std::shared_ptr<const BatchSource> source;
  std::shared_ptr<const Tokenizer> tokenizer;  // saved into the run directory by the recipe
  ModelContext context;
  std::vector<std::string> report;  // lines for the console: sizes, splits, class counts
};

struct DataSpec {
  std::string type;
  std::function<BuiltData(const DataBuildContext&)> build;
};

using DataConfigurer = std::function<DataSpec(ConfigSection&)>;

// Reads `data.type` (default "text") and hands the section to that family's configurer.
DataSpec configure_data(ConfigSection section);

// Adds a family; the built-in ones are registered in datasets/families.cpp.
void register_data(const std::string& type, DataConfigurer configurer);
std::vector<std::string> data_types();

// The run's saved tokenizer when loading, else one trained on `training_texts`
// (TokenizerTraining says what with_specials and lossless ask for).
std::shared_ptr<const Tokenizer> obtain_tokenizer(const DataBuildContext& ctx, const TokenizerOptions& options,
                                                  const std::vector<std::string>& training_texts,
                                                  bool with_specials, bool lossless = false);

}  // namespace attnlab
