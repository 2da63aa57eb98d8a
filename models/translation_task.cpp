#include "models/translation_task.h"

#include "core/metrics/bleu.h"
#include "core/metrics/chrf.h"

namespace attnlab {

namespace {
// Row b of a [B, T] source or target without [PAD] and the final [SEP].
std::vector<int64_t> row_ids(const torch::Tensor& ids_2d, int64_t b, int64_t pad, int64_t eos) {
  auto row = ids_2d[b];
  std::vector<int64_t> ids(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
  while (!ids.empty() && (ids.back() == pad || ids.back() == eos)) ids.pop_back();
  return ids;
}
}  // namespace

TaskOutput TranslationTask::compute(const Batch& batch) {
  const auto& source = batch.at("source");
  const auto& target_out = batch.at("target_out");
  auto logits = model_(source, batch.at("target_in")).flatten(0, 1).to(torch::kFloat);  // [B*T, V]
  auto labels = target_out.flatten();
  namespace F = torch::nn::functional;
  TaskOutput out;
  out.loss = F::cross_entropy(logits, labels,
                              F::CrossEntropyFuncOptions().ignore_index(o_.pad_id).label_smoothing(o_.label_smoothing));
  auto real = labels.ne(o_.pad_id);
  const auto n = real.sum().item<int64_t>();
  out.loss_count = n;
  out.num_tokens = n + source.ne(o_.pad_id).sum().item<int64_t>();
  {
    torch::NoGradGuard no_grad;
    const auto nll = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().ignore_index(o_.pad_id).reduction(torch::kSum));
    out.metrics.add("nll", nll.item<double>(), static_cast<double>(n));
    out.metrics.add("accuracy", logits.argmax(-1).eq(labels).logical_and(real).sum().item<double>(), static_cast<double>(n));
  }
  if (!model_->is_training() && o_.eval_bleu && o_.detokenize) {
    const auto outputs = translate_batch(*model_, source, o_.search);
    const auto targets = target_out.to(torch::kCPU).contiguous(), sources = source.to(torch::kCPU).contiguous();
    BleuStats bleu;
    ChrfStats chrf;
    for (int64_t b = 0; b < source.size(0); ++b) {
      GeneratedText g{o_.detokenize(row_ids(sources, b, o_.pad_id, o_.search.eos_id)),
                      o_.detokenize(outputs[static_cast<size_t>(b)]),
                      o_.detokenize(row_ids(targets, b, o_.pad_id, o_.search.eos_id))};
      bleu.add(g.output, g.reference), chrf.add(g.output, g.reference);
      out.generated.push_back(std::move(g));
    }
    bleu.add_to(out.metrics);
    chrf.add_to(out.metrics);
  }
  return out;
}

std::vector<std::string> TranslationTask::metric_names() const {
  std::vector<std::string> names = {"nll", "accuracy"};
  if (o_.eval_bleu) names.insert(names.end(), {"bleu", "chrf"});
  return names;
}

void TranslationTask::summarize(MetricSums& sums) const {
  const BleuStats bleu = BleuStats::from(sums);
  if (bleu.ref_len <= 0) return;  // nothing was decoded
  sums.set("bleu", bleu.score());
  sums.set("chrf", ChrfStats::from(sums).score());
}

}  // namespace attnlab
