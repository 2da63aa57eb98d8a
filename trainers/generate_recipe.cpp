// Sampling from a trained run: rebuild the model from the run's config.yaml and
// tokenizer.json, load a checkpoint, and generate.
#include <filesystem>

#include "core/util/device.h"
#include "models/gpt.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/recipes.h"

namespace attnlab {
namespace fs = std::filesystem;

std::string generate(const GenerateRequest& r) {
  Experiment exp = Experiment::read_run(r.run_dir);
  std::string ckpt = r.run_dir + "/" + r.checkpoint + ".pt";
  if (r.checkpoint == "best" && !fs::exists(ckpt)) ckpt = r.run_dir + "/last.pt";
  if (!fs::exists(ckpt)) throw std::runtime_error("no checkpoint " + ckpt + " in " + r.run_dir);

  const torch::Device device = resolve_device(r.device.empty() ? exp.experiment.device : r.device);
  const CharTokenizer tokenizer = CharTokenizer::load(r.run_dir + "/tokenizer.json");
  BuiltModel model = build_model(exp, tokenizer, device);
  load_checkpoint(ckpt, *model.module, nullptr, device);
  model.module->eval();

  auto gpt = std::dynamic_pointer_cast<GPTImpl>(model.module);
  if (!gpt) throw std::runtime_error("model type '" + exp.model.type + "' does not generate text");
  if (r.prompt.empty()) throw std::runtime_error("the prompt must not be empty");
  auto ids = tokenizer.encode(r.prompt);
  auto idx = torch::tensor(ids, torch::kLong).unsqueeze(0);
  auto out = gpt->generate(idx, r.max_new_tokens, r.temperature, r.top_k, r.seed).squeeze(0).contiguous();
  std::vector<int64_t> tokens(out.data_ptr<int64_t>(), out.data_ptr<int64_t>() + out.numel());
  return tokenizer.decode(tokens);
}

}  // namespace attnlab
