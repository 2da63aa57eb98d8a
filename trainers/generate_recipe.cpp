// Sampling from a trained run: rebuild the model from the run directory alone
// (trainers/run_model.h), load a checkpoint, and generate.
#include <fmt/format.h>

#include <algorithm>

#include "core/util/device.h"
#include "core/util/threads.h"
#include "datasets/text_lines.h"
#include "datasets/utf8.h"
#include "models/gpt.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/run_model.h"
#include "trainers/recipes.h"

namespace attnlab {

namespace {
// Whether `text` ends inside a multi-byte UTF-8 character.
bool is_partial_utf8_end(const std::string& text) {
  for (size_t back = 1; back <= 4 && back <= text.size(); ++back) {
    const auto c = static_cast<unsigned char>(text[text.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    return utf8_length(c) > back;
  }
  return false;
}
}  // namespace

std::string generate(const GenerateRequest& r) {
  if (r.max_new_tokens < 0) throw std::invalid_argument("--max-new-tokens must be >= 0");
  if (r.prompt.empty()) throw std::runtime_error("the prompt must not be empty");
  const std::string prompt = checked_text(r.prompt, "--prompt");  // UTF-8, "\r\n" as "\n"
  Experiment exp = Experiment::read_run(r.run_dir);
  const std::string ckpt = run_checkpoint(r.run_dir, r.checkpoint);
  const torch::Device device = resolve_device(r.device.empty() ? exp.experiment.device : r.device);
  configure_threads(exp.experiment.threads, "fp32");  // GPT sampling runs in float32 (GPTImpl::generate)
  // The report to stderr: stdout carries the text alone (`attnlab generate RUN > sample.txt`).
  Assembled a = assemble_from_run(exp, r.run_dir, device, stderr);
  auto gpt = std::dynamic_pointer_cast<GPTImpl>(a.model.module);
  if (!gpt) throw std::runtime_error("model type '" + exp.model.type + "' does not generate text");
  load_checkpoint(ckpt, *a.model.module, nullptr, device);
  a.model.module->eval();

  std::vector<int64_t> ids;
  try {
    ids = a.data.tokenizer->encode(prompt);
  } catch (const std::exception& e) {  // a char tokenizer without [UNK]: the prompt, not the run, is at fault
    throw std::runtime_error(fmt::format("--prompt: {}; the run's vocabulary is the characters of its training text",
                                         e.what()));
  }
  const int64_t unk = a.data.tokenizer->specials().unk;
  if (const auto unknown = std::count(ids.begin(), ids.end(), unk); unk >= 0 && unknown > 0)
    fmt::print(stderr, "warning: {} token(s) of the prompt are [UNK]: text the run's vocabulary does not have\n",
               unknown);
  auto idx = torch::tensor(ids, torch::kLong).unsqueeze(0);
  // Streaming: each token's text is what it adds to the decoding of the few tokens before it,
  // so a subword tokenizer's leading space or a character split over byte tokens comes out
  // right, and the cost per token stays the same however long the text gets.
  std::vector<int64_t> recent(ids.end() - std::min<ptrdiff_t>(static_cast<ptrdiff_t>(ids.size()), 8), ids.end());
  std::vector<int64_t> held;  // drawn, not yet printed (a character not finished)
  auto emit = [&](bool force) {
    std::vector<int64_t> with = recent;
    with.insert(with.end(), held.begin(), held.end());
    const std::string before = a.data.tokenizer->decode(recent), after = a.data.tokenizer->decode(with);
    const bool clean = after.compare(0, before.size(), before) == 0 && !is_partial_utf8_end(after);
    if (!clean && !force && held.size() < 16) return;  // wait for the next token
    r.on_text(after.substr(std::min(before.size(), after.size())));
    recent = with.size() > 8 ? std::vector<int64_t>(with.end() - 8, with.end()) : with;
    held.clear();
  };
  std::function<void(const torch::Tensor&)> stream;
  if (r.on_text) {
    r.on_text(a.data.tokenizer->decode(ids));
    stream = [&](const torch::Tensor& next) {
      held.push_back(next.item<int64_t>());
      emit(/*force=*/false);
    };
  }
  auto out = gpt->generate(idx, r.max_new_tokens, r.temperature, r.top_k, r.seed, r.kv_cache, nullptr, stream)
                 .squeeze(0)
                 .contiguous();
  std::vector<int64_t> tokens(out.data_ptr<int64_t>(), out.data_ptr<int64_t>() + out.numel());
  if (r.on_text && !held.empty()) emit(/*force=*/true);  // the last tokens, finished or not
  return a.data.tokenizer->decode(tokens);
}

}  // namespace attnlab
