#include "trainers/run_model.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/util/files.h"
#include "core/util/json_file.h"

namespace attnlab {

namespace {

const char* kFile = "model_context.json";
const int kVersion = 1;

std::string file_of(const std::string& run_dir) { return (std::filesystem::path(run_dir) / kFile).string(); }

}  // namespace

// Every field is written and every field is required on reading (j.at): a context missing a
// field would build a different model without saying so. `detokenize` is code, not data.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ModelContext, objective, vocab_size, pad_id, seq_len, streams, batch_tokens,
                                   num_classes, class_names, tokenizer_fingerprint, data_type, bos_id, eos_id,
                                   image_channels, image_height, image_width, image_mean, image_std, input_dims, env,
                                   num_actions, action_dims, max_timestep, observation_mean, observation_std,
                                   return_scale, best_return, mean_return)

void save_model_context(const ModelContext& context, const std::string& run_dir) {
  nlohmann::json j = context;
  j["version"] = kVersion;
  write_file_atomic(file_of(run_dir), j.dump(1) + "\n");
}

ModelContext load_model_context(const std::string& run_dir) {
  ModelContext c;
  const std::string path = file_of(run_dir);
  try {
    read_json_file(path, [&](const nlohmann::json& j) {
      if (j.value("version", 0) != kVersion)
        throw std::runtime_error(fmt::format("{}: version {} is not {}, the one this attnlab reads", path,
                                             j.value("version", nlohmann::json()).dump(), kVersion));
      c = j.get<ModelContext>();
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} (the run writes the file again from its data: delete it, then run "
                                         "generate, sample, translate, export or train --resume with the data in place)",
                                         e.what()));
  }
  return c;
}

std::string saved_tokenizer_fingerprint(const std::string& run_dir) {
  return std::filesystem::exists(file_of(run_dir)) ? load_model_context(run_dir).tokenizer_fingerprint : "";
}

Assembled assemble_from_run(const Experiment& exp, const std::string& run_dir, const torch::Device& device,
                            std::FILE* report) {
  if (!std::filesystem::exists(file_of(run_dir))) {
    // A run from before the file: its data once more, then the file, so that it is the last time.
    Assembled a;
    try {
      a = assemble(exp, run_dir, /*saved_tokenizer=*/true, device, /*training=*/false, report);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("{} (a run made before {} existed rebuilds its model from its data, once; "
                                           "with the data in place, any of generate, sample, translate, export or "
                                           "train --resume writes the file)",
                                           e.what(), file_of(run_dir)));
    }
    save_model_context(a.data.context, run_dir);
    fmt::print(report, "wrote {}: from now on this run's model is rebuilt without its data\n", file_of(run_dir));
    return a;
  }
  Assembled a;
  a.data.context = load_model_context(run_dir);
  if (!a.data.context.tokenizer_fingerprint.empty()) {  // token data: the run's tokenizer, which must be there
    std::shared_ptr<const Tokenizer> tok = load_tokenizer(run_dir, a.data.context.tokenizer_fingerprint);
    a.data.context.detokenize = [tok](const std::vector<int64_t>& ids) { return tok->decode(ids); };
    a.data.tokenizer = std::move(tok);
  }
  a.model = exp.model.build(a.data.context);
  a.model.module->to(device);
  return a;
}

}  // namespace attnlab
