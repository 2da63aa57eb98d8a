// `attnlab data check CONFIG`: what an experiment's data section reads, without training or
// writing anything. LibTorch-free, so that the CLI compiles fast.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

struct DataCheckRequest {
  std::string config_path;
  std::vector<std::string> overrides;  // "section.key=value"
};

// Validates the config, builds its data as `attnlab train` would (reading every file and
// training the tokenizer, in memory) and returns the report: the family's lines (documents,
// images or pairs, classes, token counts, split sizes, what was left out and why), then each
// split's examples, what the model will be told (vocabulary, classes, image shape) and the
// model built for it (on the CPU; not trained).
// Errors are those `attnlab train` would give, before any run directory exists.
std::string check_data(const DataCheckRequest& request);

}  // namespace attnlab
