// Sampling from a trained run: rebuild the data and model from the run's config.yaml and
// tokenizer, load a checkpoint, and generate.
#include "core/util/device.h"
#include "core/util/threads.h"
#include "models/gpt.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/recipes.h"

namespace attnlab {

std::string generate(const GenerateRequest& r) {
  if (r.max_new_tokens < 0) throw std::invalid_argument("--max-new-tokens must be >= 0");
  if (r.prompt.empty()) throw std::runtime_error("the prompt must not be empty");
  Experiment exp = Experiment::read_run(r.run_dir);
  const std::string ckpt = run_checkpoint(r.run_dir, r.checkpoint);
  const torch::Device device = resolve_device(r.device.empty() ? exp.experiment.device : r.device);
  configure_threads(exp.experiment.threads, "fp32");  // GPT sampling runs in float32 (GPTImpl::generate)
  Assembled a = assemble(exp, r.run_dir, /*saved_tokenizer=*/true, device);
  auto gpt = std::dynamic_pointer_cast<GPTImpl>(a.model.module);
  if (!gpt) throw std::runtime_error("model type '" + exp.model.type + "' does not generate text");
  load_checkpoint(ckpt, *a.model.module, nullptr, device);
  a.model.module->eval();

  auto ids = a.data.tokenizer->encode(r.prompt);
  auto idx = torch::tensor(ids, torch::kLong).unsqueeze(0);
  auto out = gpt->generate(idx, r.max_new_tokens, r.temperature, r.top_k, r.seed, r.kv_cache).squeeze(0).contiguous();
  std::vector<int64_t> tokens(out.data_ptr<int64_t>(), out.data_ptr<int64_t>() + out.numel());
  return a.data.tokenizer->decode(tokens);
}

}  // namespace attnlab
