#include "trainers/data_facts.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/util/files.h"
#include "core/util/json_file.h"
#include "datasets/registry.h"

namespace attnlab {

namespace {

const char* kFile = "data.json";

nlohmann::json facts(const BuiltData& data) {
  const ModelContext& c = data.context;
  nlohmann::json j = {{"objective", c.objective},
                      {"vocab_size", c.vocab_size},
                      {"tokenizer", c.tokenizer_fingerprint},
                      {"class_names", c.class_names},
                      {"image", {c.image_channels, c.image_height, c.image_width}},
                      {"input_dims", c.input_dims}};
  for (const auto& split : data.source->splits()) j["examples"][split] = data.source->num_examples(split);
  return j;
}

}  // namespace

void save_data_facts(const BuiltData& data, const std::string& run_dir) {
  write_file_atomic((std::filesystem::path(run_dir) / kFile).string(), facts(data).dump(1) + "\n");
}

void check_data_facts(const BuiltData& data, const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / kFile).string();
  if (!std::filesystem::exists(path)) return;
  nlohmann::json saved;
  read_json_file(path, [&](const nlohmann::json& j) { saved = j; });
  const nlohmann::json now = facts(data);
  std::vector<std::string> changed;
  for (const auto& [key, value] : now.items()) {
    const nlohmann::json was = saved.value(key, nlohmann::json());
    if (key == "examples") {
      for (const auto& [split, n] : value.items())
        if (was.value(split, nlohmann::json()) != n)
          changed.push_back(fmt::format("{} examples: {} then, {} now", split, was.value(split, nlohmann::json()).dump(),
                                        n.dump()));
    } else if (was != value) {
      changed.push_back(fmt::format("{}: {} then, {} now", key, was.dump(), value.dump()));
    }
  }
  if (!changed.empty())
    throw std::runtime_error(fmt::format(
        "{} was trained on other data than its config's data section reads now ({}): {}. Put the data back as it "
        "was, or train a new run on the data as it is",
        run_dir, path, fmt::join(changed, "; ")));
}

}  // namespace attnlab
