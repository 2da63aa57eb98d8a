// `attnlab translate`: a translator run's checkpoint and tokenizer applied to new sentences.
// Only the run directory is read (not the training data): the model is rebuilt from it
// (trainers/run_model.h).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/util/device.h"
#include "core/util/files.h"
#include "core/util/threads.h"
#include "core/util/precision.h"
#include "datasets/text_lines.h"
#include "models/seq2seq.h"
#include "models/translation_search.h"
#include "models/translation_task.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/run_model.h"
#include "trainers/recipes.h"

namespace attnlab {

namespace {
// The sentences of --input (a file, or "-": standard input), by the text rules of
// datasets/text_lines.h. A blank line is translated as a blank line, so that the output
// keeps the input's line numbers.
std::vector<std::string> read_lines(const std::string& input) {
  if (input == "-") {
    std::stringstream all;
    all << std::cin.rdbuf();
    return split_lines(checked_text(all.str(), "standard input"));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec))
    throw std::runtime_error("--input " + input + " is a directory; give a file of sentences, one per line (- reads "
                             "standard input)");
  return split_lines(checked_text(read_file(input), input));
}
}  // namespace

std::vector<std::string> translate(const TranslateRequest& r) {
  if (r.batch_size < 1) throw std::invalid_argument("--batch-size must be >= 1");
  const std::vector<std::string> lines = read_lines(r.input);  // before the run: a bad input costs nothing
  Experiment exp = read_run_with_beam(r.run_dir, r.beam);
  const std::string ckpt = run_checkpoint(r.run_dir, r.checkpoint);
  const torch::Device device = resolve_device(r.device.empty() ? exp.experiment.device : r.device);
  exp.experiment.precision = resolve_precision(exp.experiment.precision, device);  // "auto" -> fp32 | bf16
  configure_threads(exp.experiment.threads, exp.experiment.precision);

  Assembled a = assemble_from_run(exp, r.run_dir, device, stderr);
  auto model = std::dynamic_pointer_cast<Seq2seqImpl>(a.model.module);
  auto task = std::dynamic_pointer_cast<TranslationTask>(a.model.task);
  if (!model || !task)
    throw std::runtime_error(r.run_dir + " is a " + exp.model.type + " run, not a translator: `attnlab translate` " +
                             "needs a model.type seq2seq run trained on parallel_text data");
  const std::shared_ptr<const Tokenizer> tok = a.data.tokenizer;
  const SpecialTokens sp = tok->specials();
  load_checkpoint(ckpt, *model, nullptr, device);
  model->eval();
  AutocastScope autocast(exp.experiment.precision, device);  // inference at the precision it trained in

  SearchOptions search = task->options().search;  // the run's model.beam and length limits
  search.kv_cache = r.kv_cache;

  std::vector<std::string> out(lines.size());
  const int64_t max_tokens = model->options.max_len - 1;  // room for [SEP]
  std::vector<size_t> pending;  // non-empty lines waiting for a batch
  auto flush = [&] {
    if (pending.empty()) return;
    std::vector<std::vector<int64_t>> sources;
    size_t longest = 1;
    for (size_t i : pending) {
      auto ids = tok->encode(lines[i]);
      if (static_cast<int64_t>(ids.size()) > max_tokens) {
        fmt::print(stderr, "warning: line {} has {} tokens; translating its first {} (the model's max_len is {}, "
                   "[SEP] included)\n", i + 1, ids.size(), max_tokens, model->options.max_len);
        ids.resize(static_cast<size_t>(max_tokens));
      }
      ids.push_back(sp.sep);
      longest = std::max(longest, ids.size());
      sources.push_back(std::move(ids));
    }
    auto source = torch::full({static_cast<int64_t>(sources.size()), static_cast<int64_t>(longest)}, sp.pad, torch::kLong);
    for (size_t b = 0; b < sources.size(); ++b)
      source[static_cast<int64_t>(b)].narrow(0, 0, static_cast<int64_t>(sources[b].size()))
          .copy_(torch::tensor(sources[b], torch::kLong));
    const auto outputs = translate_batch(*model, source.to(device), search);
    for (size_t b = 0; b < pending.size(); ++b) out[pending[b]] = tok->decode(outputs[b]);
    pending.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;  // blank in, blank out
    pending.push_back(i);
    if (static_cast<int64_t>(pending.size()) == r.batch_size) flush();
  }
  flush();
  return out;
}

}  // namespace attnlab
