#include "trainers/data_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/config/loader.h"
#include "trainers/experiment.h"

namespace attnlab {

std::string check_data(const DataCheckRequest& request) {
  const Experiment exp = Experiment::read(load_config(request.config_path, request.overrides));
  // No run directory: the tokenizer is trained in memory and never saved.
  const BuiltData data = build_data(exp, /*run_dir=*/"", /*saved_tokenizer=*/false);
  std::string out = fmt::format("{}: data.type {}\n", request.config_path, exp.data.type);
  for (const auto& line : data.report) out += line + "\n";
  std::vector<std::string> splits;
  for (const auto& split : data.source->splits())
    splits.push_back(fmt::format("{} {}", split, data.source->num_examples(split)));
  out += fmt::format("examples: {} (what `attnlab eval --split` walks{})\n", fmt::join(splits, ", "),
                     data.context.objective == "causal_lm"
                         ? fmt::format(": windows of model.block_size = {} tokens", exp.model.block_size)
                         : "");
  const ModelContext& c = data.context;
  std::vector<std::string> facts = {"objective " + c.objective};
  if (c.vocab_size > 0) facts.push_back(fmt::format("vocabulary {}", c.vocab_size));
  if (c.num_classes > 0) facts.push_back(fmt::format("{} classes: {}", c.num_classes, fmt::join(c.class_names, ", ")));
  if (c.image_channels > 0)
    facts.push_back(fmt::format("images {}x{}x{} (channels x height x width)", c.image_channels, c.image_height,
                                c.image_width));
  out += fmt::format("model input: {}\n", fmt::join(facts, " | "));
  // The model too, on the CPU: what it refuses of this data (a patch size that does not divide
  // the images) is refused here, not after a run directory exists.
  const BuiltModel model = exp.model.build(data.context);
  out += fmt::format("model: {}\n", describe(exp, *model.module, torch::kCPU));
  std::string command = "attnlab train " + request.config_path;
  for (const auto& o : request.overrides) command += " " + o;
  out += fmt::format("nothing was written; `{}` trains on this data\n", command);
  return out;
}

}  // namespace attnlab
